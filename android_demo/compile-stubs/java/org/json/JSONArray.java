package org.json;

public class JSONArray {
    public JSONArray() {}
    public int length() { throw new RuntimeException("compile stub"); }
    public Object get(int index) throws JSONException { throw new RuntimeException("compile stub"); }
    public double getDouble(int index) throws JSONException { throw new RuntimeException("compile stub"); }
    public JSONArray getJSONArray(int index) throws JSONException { throw new RuntimeException("compile stub"); }
    public JSONObject getJSONObject(int index) throws JSONException { throw new RuntimeException("compile stub"); }
}
