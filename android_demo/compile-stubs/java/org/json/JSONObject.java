package org.json;

public class JSONObject {
    public JSONObject(String json) throws JSONException {}
    public Object opt(String name) { throw new RuntimeException("compile stub"); }
    public String optString(String name) { throw new RuntimeException("compile stub"); }
    public String optString(String name, String fallback) { throw new RuntimeException("compile stub"); }
    public int optInt(String name, int fallback) { throw new RuntimeException("compile stub"); }
    public JSONObject optJSONObject(String name) { throw new RuntimeException("compile stub"); }
    public JSONArray optJSONArray(String name) { throw new RuntimeException("compile stub"); }
    public String getString(String name) throws JSONException { throw new RuntimeException("compile stub"); }
    public int getInt(String name) throws JSONException { throw new RuntimeException("compile stub"); }
    public double getDouble(String name) throws JSONException { throw new RuntimeException("compile stub"); }
    public JSONArray getJSONArray(String name) throws JSONException { throw new RuntimeException("compile stub"); }
    public JSONObject getJSONObject(String name) throws JSONException { throw new RuntimeException("compile stub"); }
}
