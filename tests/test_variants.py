"""The variant table: one row per TFLite variant, read by the converter, the exporter, the metadata and the CLI."""
import dataclasses

import graphsh_tf  # noqa: F401
from graphsh_tf.lite import export, metadata, variants
from graphsh_tf.models import build_model

import pytest
import tf_keras as keras


def test_table_names_order_and_rules():
    assert variants.default_names() == ("fp32", "fp16", "drq", "int8", "qat_int8")
    assert variants.all_names() == variants.default_names() + variants.optional_names() == tuple(variants.VARIANTS)
    assert variants.report_order("int16x8") == 5 and variants.report_order("mystery") == len(variants.VARIANTS)
    assert variants.variant("int8").filename() == "graphsh_int8.tflite"
    assert variants.variant("int8").filename(4) == "graphsh_int8_b4.tflite"
    assert metadata.variant_from_filename(variants.variant("qat_int8").filename()) == "qat_int8"
    # the per-channel rule: int16x8 always, int8/qat_int8 on request, the others never
    assert variants.variant("int16x8").per_channel_weights(False) is True
    int8 = variants.variant("int8")
    assert int8.per_channel_weights() is False and int8.per_channel_weights(True) is True
    assert variants.variant("fp32").per_channel_weights(True) is False
    assert [n for n, v in variants.VARIANTS.items() if "int8" in v.io_types] == ["int8", "qat_int8"]


def test_unknown_variant_names_the_known_ones():
    with pytest.raises(variants.ExportError, match="unknown variant 'int4'; choose from fp32, fp16"):
        variants.variant("int4")


def test_a_new_row_is_all_it_takes(tmp_path, monkeypatch):
    """A variant added to the table alone is exported, named, described and ordered by everything that reads it."""
    row = dataclasses.replace(variants.VARIANTS["fp16"], name="fp16_opt", default=False, description="test row")
    monkeypatch.setitem(variants.VARIANTS, "fp16_opt", row)
    assert "fp16_opt" in variants.describe() and "fp16_opt" not in variants.default_names()
    keras.utils.set_random_seed(0)
    model = build_model(gcn="dc_preagg", hid_dim=8, num_stacks=1)
    paths = export.export_variants(model, tmp_path, ["fp32", "fp16_opt"])
    assert paths["fp16_opt"].name == "graphsh_fp16_opt.tflite"
    assert metadata.read_metadata(paths["fp16_opt"])["variant"] == "fp16_opt"
    assert [p.name for p in metadata.find_tflite(tmp_path)] == ["graphsh_fp32.tflite", "graphsh_fp16_opt.tflite"]
    ratio = paths["fp16_opt"].stat().st_size / paths["fp32"].stat().st_size
    assert ratio < 0.7                                        # float16 weights: the row's converter settings applied
