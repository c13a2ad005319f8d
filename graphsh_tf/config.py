"""Configuration dataclasses, each round-tripping through JSON."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Dict

from graphsh_tf.contract import NORMALIZATIONS
from graphsh_tf.io import loads_finite, read_json
from graphsh_tf.skeleton import NUM_JOINTS

#: The graph conv names, named as in the reference implementation (tamasino52/GraphSH). Each is a class in
#: :data:`graphsh_tf.layers.graph_conv.CONV_TYPES` carrying its traits (decoupled, per joint, reference weights);
#: the names are repeated here so that configs and command lines validate without loading TensorFlow
#: (tests/test_models.py checks both lists agree).
GCN_TYPES = ("vanilla", "dc_vanilla", "preagg", "dc_preagg", "semantic", "modulated")
ARCHS = ("graphsh", "seqres")
#: Distribution strategies understood by :mod:`graphsh_tf.train.strategy`.
STRATEGIES = ("auto", "default", "mirrored", "multiworker")
#: ``staircase``: ``lr * lr_gamma ** (step // lr_decay_steps)`` (the paper's); ``cosine``: cosine decay to 0 over
#: the whole run. Both after ``warmup_steps`` of linear warm-up.
LR_SCHEDULES = ("staircase", "cosine")
#: Where a model takes the adapters' per-joint confidence (``ModelConfig.confidence_input``): ``none`` = the paper's
#: ``(x, y)`` input; ``channel`` = a third input channel ``(x, y, confidence)`` read by the first graph conv. Each
#: name is an entry of :data:`graphsh_tf.layers.confidence.CONFIDENCE_ENTRIES` (tests/test_confidence.py checks both
#: lists agree).
CONFIDENCE_INPUTS = ("none", "channel")
#: ``ModelConfig.temporal_window`` values: 1 (the single-frame model) or the receptive field of a stack of causal
#: kernel-3 convolutions over time with dilations 1, 3, 9, ... (:mod:`graphsh_tf.layers.temporal`): a power of 3.
TEMPORAL_WINDOWS = (1, 3, 9, 27, 81, 243)


class ConfigError(ValueError):
    """A configuration value or file is invalid; the message names the field and the fix."""


class _JsonConfig:
    """to/from dict and JSON for the config dataclasses; unknown fields and bad JSON are one clear ConfigError."""

    _kind = "config"

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any], source: str = "config"):
        if not isinstance(d, dict):
            raise ConfigError(f"{source}: expected a JSON object for the {cls._kind}, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"{source}: unknown {cls._kind} field(s) {unknown}; known fields: {sorted(names)}")
        try:
            return cls(**d).validate()
        except ConfigError as e:
            if source == "config" or str(e).startswith(f"{source}:"):
                raise
            raise ConfigError(f"{source}: {e}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "config"):
        return cls.from_dict(loads_finite(text, source, ConfigError, "fix the file or re-create it"), source)




@dataclass
class ModelConfig(_JsonConfig):
    """Everything needed to rebuild a model.

    ``gcn``: one of :data:`GCN_TYPES` (the paper's PreAggr is ``dc_preagg``). ``hid_dim``: channels at the full
    scale (the hourglass uses 1.5x and 2x at the 8- and 4-joint scales). ``num_stacks``: hourglasses (GraphSH) or
    residual blocks (SeqRes). Ablation switches of the paper's Tables 1-2: ``pooling`` (skeletal pool/unpool inside
    the hourglass; off = every scale stays at 16 joints), ``multi_level`` (concat of per-stack 1x1 features; off =
    only the last stack feeds the head), ``se`` (squeeze-and-excitation on the concatenated features).
    """

    _kind = "model config"

    arch: str = "graphsh"
    gcn: str = "dc_preagg"
    hid_dim: int = 64
    num_stacks: int = 4
    num_joints: int = NUM_JOINTS
    in_dim: int = 2
    out_dim: int = 3
    dropout: float = 0.25
    pooling: bool = True
    multi_level: bool = True
    se: bool = True
    se_ratio: int = 8
    #: what the network sees of its 2D input: a key of :data:`graphsh_tf.contract.NORMALIZATIONS`
    input_norm: str = "screen"
    #: whether and where the network takes the per-joint confidence (one of :data:`CONFIDENCE_INPUTS`); with one,
    #: the input is ``(x, y, confidence)`` and ``in_dim`` is 3
    confidence_input: str = "none"
    #: frames the model sees (one of :data:`TEMPORAL_WINDOWS`): 1 = one pose in, one out; T > 1 = the causal temporal
    #: lifter, input ``(batch, T, 16, in_dim)`` (the last T frames, oldest first), output the newest frame's pose
    temporal_window: int = 1

    def __post_init__(self):
        # in_dim is the input's channel count and follows confidence_input; a config giving only one of them (a
        # 3-channel input without a confidence_input, e.g. inferred from a file's input shape) gets the other
        if self.confidence_input != "none" and self.in_dim == 2:
            self.in_dim = 3
        elif self.confidence_input == "none" and self.in_dim == 3:
            self.confidence_input = "channel"

    def validate(self) -> "ModelConfig":
        if self.arch not in ARCHS:
            raise ConfigError(f"ModelConfig.arch={self.arch!r} is not one of {ARCHS}")
        if self.gcn not in GCN_TYPES:
            raise ConfigError(f"ModelConfig.gcn={self.gcn!r} is not one of {GCN_TYPES} "
                              "(the paper's PreAggr is 'dc_preagg')")
        if not isinstance(self.hid_dim, int) or self.hid_dim < 8 or self.hid_dim % 2:
            raise ConfigError(f"ModelConfig.hid_dim={self.hid_dim!r} must be an even integer >= 8")
        if not isinstance(self.num_stacks, int) or self.num_stacks < 1:
            raise ConfigError(f"ModelConfig.num_stacks={self.num_stacks!r} must be a positive integer")
        if self.arch == "graphsh" and self.hid_dim // self.num_stacks < 1:
            raise ConfigError(f"ModelConfig.hid_dim={self.hid_dim} gives no channels per stack for "
                              f"num_stacks={self.num_stacks}; use hid_dim >= num_stacks")
        if self.num_joints != NUM_JOINTS:
            raise ConfigError(f"ModelConfig.num_joints={self.num_joints}: GraphSH's skeletal pooling is defined for "
                              "the 16-joint H36M layout only (17-joint detections are reduced to 16 by the loader)")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ConfigError(f"ModelConfig.dropout={self.dropout!r} must be in [0, 1)")
        if self.se_ratio < 1:
            raise ConfigError(f"ModelConfig.se_ratio={self.se_ratio!r} must be >= 1")
        if self.input_norm not in NORMALIZATIONS:
            raise ConfigError(f"ModelConfig.input_norm={self.input_norm!r} is not one of {list(NORMALIZATIONS)}")
        if self.confidence_input not in CONFIDENCE_INPUTS:
            raise ConfigError(f"ModelConfig.confidence_input={self.confidence_input!r} is not one of "
                              f"{CONFIDENCE_INPUTS}")
        want = 2 if self.confidence_input == "none" else 3
        if self.in_dim != want:
            raise ConfigError(f"ModelConfig.in_dim={self.in_dim!r} does not fit confidence_input="
                              f"{self.confidence_input!r}: the input is (x, y) (in_dim 2) or (x, y, confidence) "
                              "(in_dim 3)")
        if isinstance(self.temporal_window, bool) or self.temporal_window not in TEMPORAL_WINDOWS:
            raise ConfigError(f"ModelConfig.temporal_window={self.temporal_window!r} is not one of "
                              f"{TEMPORAL_WINDOWS}: 1 for the single-frame model, else a power of 3 (the receptive "
                              "field of kernel-3 convolutions with dilations 1, 3, 9, ...), e.g. 27")
        if self.temporal_window > 1 and self.arch != "graphsh":
            raise ConfigError(f"ModelConfig.temporal_window={self.temporal_window} needs arch='graphsh' (the temporal "
                              f"part reads the GraphSH head's per-frame features); got arch={self.arch!r}")
        return self



@dataclass
class TrainConfig(_JsonConfig):
    """Training hyperparameters (the paper's recipe by default), round-tripping through JSON.

    ``batch_size`` is the GLOBAL batch (split over replicas). The learning rate decays per optimizer step as a
    staircase exponential: ``lr = lr * lr_gamma ** (step // lr_decay_steps)``. ``max_grad_norm``: clip by global
    norm (0 = off). ``steps_per_epoch``: 0 = one full pass over the training set. Losses are MSE on metres.

    Input corruption during training: ``corruption`` is a detector-mix spec
    (:meth:`graphsh_tf.data.corrupt.CorruptionParams.parse`, e.g. ``detector`` or ``detector:miss=3``; empty = off)
    applied per batch to all but a ``clean_fraction`` of the samples, which stay clean with confidence 1; a model
    with a confidence input is fed the corruption's confidences. ``noise_augment_px`` (Gaussian pixels plus rare
    gross errors) and ``occlusion`` (a limb end or lower limb missing, filled as the adapters fill it; confidence 0
    there) are the simpler augmentations of earlier recipes, kept so their runs reproduce; they apply after the
    detector mix when both are set.
    """

    _kind = "train config"

    epochs: int = 50
    steps_per_epoch: int = 0
    batch_size: int = 256
    lr: float = 1e-4
    lr_decay_steps: int = 20000
    lr_gamma: float = 0.92
    max_grad_norm: float = 1.0
    lr_schedule: str = "staircase"
    warmup_steps: int = 0
    weight_decay: float = 0.0
    seed: int = 0
    flip_augment: bool = False
    noise_augment_px: float = 0.0
    occlusion: float = 0.0
    corruption: str = ""
    clean_fraction: float = 0.5
    flip_test: bool = False
    strategy: str = "auto"
    jit_compile: bool = False
    val_every: int = 1

    def validate(self) -> "TrainConfig":
        def _pos_int(name, minimum=1):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
                raise ConfigError(f"TrainConfig.{name}={v!r} must be an integer >= {minimum}")
        _pos_int("epochs")
        _pos_int("steps_per_epoch", 0)
        _pos_int("batch_size")
        _pos_int("lr_decay_steps")
        _pos_int("seed", 0)
        _pos_int("val_every")
        if not float(self.lr) > 0:
            raise ConfigError(f"TrainConfig.lr={self.lr!r} must be > 0")
        if not 0.0 < float(self.lr_gamma) <= 1.0:
            raise ConfigError(f"TrainConfig.lr_gamma={self.lr_gamma!r} must be in (0, 1]")
        if float(self.max_grad_norm) < 0:
            raise ConfigError(f"TrainConfig.max_grad_norm={self.max_grad_norm!r} must be >= 0 (0 = no clipping)")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"TrainConfig.lr_schedule={self.lr_schedule!r} is not one of {LR_SCHEDULES}")
        _pos_int("warmup_steps", 0)
        if not float(self.weight_decay) >= 0:
            raise ConfigError(f"TrainConfig.weight_decay={self.weight_decay!r} must be >= 0 (decoupled, AdamW)")
        if not float(self.noise_augment_px) >= 0:
            raise ConfigError(f"TrainConfig.noise_augment_px={self.noise_augment_px!r} must be >= 0 (pixels)")
        if not 0.0 <= float(self.occlusion) <= 1.0:
            raise ConfigError(f"TrainConfig.occlusion={self.occlusion!r} must be a probability in [0, 1]")
        if self.corruption:
            from graphsh_tf.data.corrupt import CorruptionError, CorruptionParams

            try:
                CorruptionParams.parse(self.corruption)
            except CorruptionError as e:
                raise ConfigError(f"TrainConfig.corruption: {e}") from None
        if not 0.0 <= float(self.clean_fraction) <= 1.0:
            raise ConfigError(f"TrainConfig.clean_fraction={self.clean_fraction!r} must be a fraction in [0, 1]")
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"TrainConfig.strategy={self.strategy!r} is not one of {STRATEGIES}")
        return self


@dataclass
class DataConfig(_JsonConfig):
    """Everything that decides a run's data: the arguments of :func:`graphsh_tf.data.dataset.load_data`.

    ``spec``: a data spec of a registered source (:func:`graphsh_tf.data.dataset.spec_help`: ``synthetic``,
    ``h36m:DIR``, ``bvh:DIR``, ...), checked with its ``options`` by that source. ``seed``: the data seed (synthetic
    poses, BVH camera choice and virtual cameras; not the weight-init / shuffle seed, which is ``TrainConfig.seed``).
    ``options``: loader keyword arguments (e.g. ``{"test_styles": [...], "cameras": "virtual"}`` for BVH). Stored
    in config.json so evaluation, calibration and validation rebuild exactly the training run's split.
    """

    _kind = "data config"

    spec: str = "synthetic"
    keypoints: str = "gt"
    downsample: int = 1
    seed: int = 0
    options: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def validate(self) -> "DataConfig":
        from graphsh_tf.data.dataset import DataError, resolve

        for name in ("downsample", "seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name == "downsample" else 0):
                raise ConfigError(f"DataConfig.{name}={v!r} must be an integer >= {1 if name == 'downsample' else 0}")
        if not isinstance(self.options, dict):
            raise ConfigError(f"DataConfig.options={self.options!r} must be a JSON object of loader arguments")
        try:
            resolve(self.spec, self.keypoints, self.options)   # the source checks its own options
        except DataError as err:
            raise ConfigError(f"DataConfig: {err}") from None
        return self

    @classmethod
    def from_run_section(cls, section: Dict[str, Any], train_seed: int = 0, source: str = "config.json"):
        """The DataConfig of a config.json ``data`` section; a section without ``seed`` takes ``train_seed`` as
        its data seed."""
        if not isinstance(section, dict):
            raise ConfigError(f"{source}: field 'data' must be an object, got {type(section).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in section.items() if k in names}
        d.setdefault("seed", int(train_seed))
        if not d.get("keypoints"):
            d["keypoints"] = "gt"
        return cls.from_dict(d, source)

    def load(self):
        """Load the data set this config describes (:class:`graphsh_tf.data.dataset.PoseData`, 16 joints)."""
        from graphsh_tf.data.dataset import load_data

        return load_data(self.spec, keypoints=self.keypoints, downsample=self.downsample, seed=self.seed,
                         **self.options).to_16_joints()


@dataclass
class RunConfig:
    """The ``config.json`` of a training run, one schema: ``{"model": ModelConfig, "train": TrainConfig,
    "data": DataConfig fields + "summary"}`` (``summary``: the loaded data's one-line description).
    :mod:`graphsh_tf.run` owns the file; this is its document."""

    model: ModelConfig
    train: TrainConfig
    data: DataConfig
    summary: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return {"model": self.model.to_dict(), "train": self.train.to_dict(),
                "data": {**self.data.to_dict(), "summary": self.summary}}

    @classmethod
    def from_dict(cls, d: Dict[str, Any], source: str = "config.json") -> "RunConfig":
        if not isinstance(d, dict) or not {"model", "train", "data"} <= set(d):
            raise ConfigError(f"{source}: expected the keys model, train, data (a run written by training/fit.py); "
                              "re-create the run")
        train = TrainConfig.from_dict(d["train"], source)
        return cls(ModelConfig.from_dict(d["model"], source), train,
                   DataConfig.from_run_section(d["data"], train.seed, source), str(d["data"].get("summary", "")))

    @staticmethod
    def read_document(path, error=None) -> Dict[str, Any]:
        """The raw JSON object of a config.json (``error``: the exception class to raise, default ConfigError)."""
        error = error or ConfigError
        doc = read_json(path, error, "pass a run directory written by training/fit.py (or re-create the run)")
        if not isinstance(doc, dict) or not {"model", "train", "data"} <= set(doc):
            raise error(f"{path}: expected keys model, train, data; re-create the run (training/fit.py)")
        return doc

    @classmethod
    def read(cls, path) -> "RunConfig":
        return cls.from_dict(cls.read_document(path), str(path))

    @staticmethod
    def read_model(path) -> ModelConfig:
        """The ModelConfig of a config.json: its ``model`` section (or the whole file, for a bare ModelConfig)."""
        d = read_json(path, ConfigError, "re-create the run's config.json (training/fit.py)")
        return ModelConfig.from_dict(d.get("model", d) if isinstance(d, dict) else d, source=str(path))


#: Named training recipes (``fit.py --recipe``): TrainConfig fields, plus ``dropout`` (a ModelConfig field) where a
#: recipe changes it. ``paper``: the paper's and the reference's recipe. ``fast``: the best recipe measured on the
#: real-motion-capture benchmark at the same epoch budget (benchmarks/README.md: clean 0.74x the paper recipe's
#: MPJPE, and better with 5 px noise and with a missing limb end).
RECIPES: Dict[str, Dict[str, Any]] = {
    "paper": {"epochs": 50, "lr": 1e-4, "lr_decay_steps": 20000, "lr_gamma": 0.92, "lr_schedule": "staircase",
              "warmup_steps": 0, "weight_decay": 0.0, "flip_augment": False, "noise_augment_px": 0.0,
              "occlusion": 0.0, "dropout": 0.25},
    "fast": {"epochs": 50, "lr": 2e-3, "lr_decay_steps": 20000, "lr_gamma": 0.92, "lr_schedule": "cosine",
             "warmup_steps": 200, "weight_decay": 0.0, "flip_augment": True, "noise_augment_px": 2.0,
             "occlusion": 0.1, "dropout": 0.1},
    # detector-robust: the fast recipe, the per-joint confidence as a third input channel, and the detector-like
    # corruption (graphsh_tf.data.corrupt) on half of the training samples (benchmarks/README.md, "Detector
    # robustness"); ModelConfig field confidence_input, like dropout
    "robust": {"epochs": 50, "lr": 2e-3, "lr_decay_steps": 20000, "lr_gamma": 0.92, "lr_schedule": "cosine",
               "warmup_steps": 200, "weight_decay": 0.0, "flip_augment": True, "noise_augment_px": 0.0,
               "occlusion": 0.0, "corruption": "detector:miss=8,occlusion_rate=0.3,swap_rate=0.1",
               "clean_fraction": 0.5, "dropout": 0.1, "confidence_input": "channel"},
    # the embedded default, ~10 minutes on two CPU cores: the fast recipe for 16 epochs. Measured (README): 75.8 mm
    # on its own test split and 91.1 mm on the real-mocap test set, vs 85.3 / 94.8 mm with the earlier short recipe
    # (staircase lr 3e-3 x0.92 / 200 steps, dropout 0.25, no augmentation)
    "synthetic": {"epochs": 16, "lr": 2e-3, "lr_decay_steps": 20000, "lr_gamma": 0.92, "lr_schedule": "cosine",
                  "warmup_steps": 200, "weight_decay": 0.0, "flip_augment": True, "noise_augment_px": 2.0,
                  "occlusion": 0.1, "dropout": 0.1},
}
#: The recipe we recommend for real motion capture and detector input (``--recipe best``): today the robust
#: recipe's values, the best measured on detector-like 2D at a clean cost within 5 % of ``fast`` (benchmarks/README.md,
#: "Detector robustness" and "In the wild"); it follows whatever recipe measures best there.
RECIPES["best"] = dict(RECIPES["robust"])

