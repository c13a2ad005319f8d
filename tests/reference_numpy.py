"""An independent numpy forward pass of the reference GraphSH (eval mode), written from the reference's semantics.

It is the test oracle for sizes the committed fixtures do not cover: the fixtures (real PyTorch outputs) validate
this oracle, and the oracle validates the Keras model at any conv type, hidden size and stack count. It uses index
lists (gathers) on purpose — a different formulation from the constant matrices of the Keras layers.
"""
import numpy as np

PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14]
GROUPS = [[2, 3], [5, 6], [1, 4], [0, 7], [8, 9], [14, 15], [11, 12], [10, 13]]
MID_ORDER = [0, 1, 2, 3, 5, 6, 4, 7]
INV_MID = [3, 2, 1, 1, 2, 0, 0, 3, 4, 4, 7, 6, 6, 7, 5, 5]
INV_LOW = [0, 0, 1, 1, 3, 2, 2, 3]
EDGES = {16: [(j, p) for j, p in enumerate(PARENTS) if p >= 0],
         8: [(0, 2), (1, 2), (2, 3), (3, 7), (4, 7), (5, 7), (6, 7)],
         4: [(0, 1), (1, 2), (2, 3)]}


def adj(n):
    a = np.eye(n)
    for i, j in EDGES[n]:
        a[i, j] = a[j, i] = 1
    return a / a.sum(1, keepdims=True)


def gconv(sd, p, x, gcn, n):
    a = adj(n)
    e = np.eye(n)
    W = sd[p + "W"]
    if gcn in ("vanilla", "dc_vanilla", "semantic", "modulated"):
        hs = [x @ W[k] for k in range(W.shape[0])]
    else:
        hs = [np.einsum("bjn,jnm->bjm", x, W[k]) for k in range(W.shape[0])]
    if gcn == "semantic":
        logits = np.full((n, n), -9e15)
        logits[a > 0] = sd[p + "e"][0]
        logits = logits - logits.max(1, keepdims=True)
        a = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    if gcn == "modulated":
        a = a + sd[p + "adj2"]
        a = (a + a.T) / 2
        hs = [h * sd[p + "M"] for h in hs]
    if len(hs) == 1:
        out = a @ hs[0]
    else:
        out = (a * e) @ hs[0] + (a * (1 - e)) @ hs[1]
    return out + sd[p + "bias"]


def block(sd, p, x, gcn, n):
    y = gconv(sd, p + "gconv.", x, gcn, n)
    y = (y - sd[p + "bn.running_mean"]) / np.sqrt(sd[p + "bn.running_var"] + 1e-5) * sd[p + "bn.weight"] \
        + sd[p + "bn.bias"]
    return np.maximum(y, 0)


def pool(x):
    if x.shape[1] == 16:
        y = x[:, sum(GROUPS, [])]
    else:
        y = x[:, MID_ORDER]
    return np.maximum(y[:, 0::2], y[:, 1::2])


def unpool(x):
    return x[:, INV_MID] if x.shape[1] == 8 else x[:, INV_LOW]


def forward(sd, x, gcn, stacks):
    x = x.astype(np.float64)
    sd = {k: v.astype(np.float64) for k, v in sd.items()}
    out = block(sd, "gconv_input.", x, gcn, 16)
    feats = []
    for l in range(stacks):
        p = f"gconv_layers.{l}."
        s1 = out
        s2 = block(sd, p + "gconv1.", s1, gcn, 16)
        s3 = block(sd, p + "gconv2.", pool(s2), gcn, 8)
        y = block(sd, p + "gconv3.", pool(s3), gcn, 4)
        y = block(sd, p + "gconv4.", unpool(y) + s3, gcn, 8)
        y = block(sd, p + "gconv5.", unpool(y) + s2, gcn, 16)
        out = y + s1
        feats.append(out @ sd[f"conv_layers.{l}.weight"][:, :, 0].T + sd[f"conv_layers.{l}.bias"])
    f = np.concatenate(feats, axis=2)
    s = f.mean(1)
    s = np.maximum(s @ sd["se_blocks.fc1.weight"].T + sd["se_blocks.fc1.bias"], 0)
    s = 1 / (1 + np.exp(-(s @ sd["se_blocks.fc2.weight"].T + sd["se_blocks.fc2.bias"])))
    f = f * s[:, None, :]
    return f @ sd["gconv_output.weight"][:, :, 0].T + sd["gconv_output.bias"]


def random_state_dict(gcn, hid, stacks, seed=0):
    """A random state_dict with the reference's keys and shapes (BN statistics randomized too)."""
    rng = np.random.default_rng(seed)
    sd = {}

    def conv(p, cin, cout, n):
        nw = 2 if gcn in ("dc_vanilla", "dc_preagg", "semantic", "modulated") else 1
        shape = (nw, n, cin, cout) if gcn in ("preagg", "dc_preagg") else (nw, cin, cout)
        sd[p + "gconv.W"] = rng.normal(0, 1.0 / np.sqrt(cin), shape)
        sd[p + "gconv.bias"] = rng.normal(0, 0.1, cout)
        if gcn == "semantic":
            sd[p + "gconv.e"] = rng.normal(1, 0.5, (1, int((adj(n) > 0).sum())))
        if gcn == "modulated":
            sd[p + "gconv.M"] = rng.normal(1, 0.2, (n, cout))
            sd[p + "gconv.adj2"] = rng.normal(0, 0.05, (n, n))
        sd[p + "bn.weight"] = rng.uniform(0.5, 1.5, cout)
        sd[p + "bn.bias"] = rng.normal(0, 0.1, cout)
        sd[p + "bn.running_mean"] = rng.normal(0, 0.1, cout)
        sd[p + "bn.running_var"] = rng.uniform(0.5, 1.5, cout)

    mid, low = int(hid * 1.5), hid * 2
    conv("gconv_input.", 2, hid, 16)
    per = hid // stacks
    for l in range(stacks):
        p = f"gconv_layers.{l}."
        conv(p + "gconv1.", hid, mid, 16)
        conv(p + "gconv2.", mid, low, 8)
        conv(p + "gconv3.", low, low, 4)
        conv(p + "gconv4.", low, mid, 8)
        conv(p + "gconv5.", mid, hid, 16)
        sd[f"conv_layers.{l}.weight"] = rng.normal(0, 1.0 / np.sqrt(hid), (per, hid, 1))
        sd[f"conv_layers.{l}.bias"] = rng.normal(0, 0.1, per)
    c = per * stacks
    sd["se_blocks.fc1.weight"] = rng.normal(0, 1.0 / np.sqrt(c), (c // 8, c))
    sd["se_blocks.fc1.bias"] = rng.normal(0, 0.1, c // 8)
    sd["se_blocks.fc2.weight"] = rng.normal(0, 1.0 / np.sqrt(c // 8), (c, c // 8))
    sd["se_blocks.fc2.bias"] = rng.normal(0, 0.1, c)
    sd["gconv_output.weight"] = rng.normal(0, 1.0 / np.sqrt(c), (3, c, 1))
    sd["gconv_output.bias"] = rng.normal(0, 0.1, 3)
    return {k: v.astype(np.float32) for k, v in sd.items()}
