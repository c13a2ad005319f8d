#!/usr/bin/env bash
# Latency of the exported GraphSH models on an Android device with TFLite's benchmark_model.
#
# Usage: benchmark/run_benchmark.sh RUN_DIR [BENCHMARK_MODEL_BINARY]
#   RUN_DIR                  folder with graphsh_fp32.tflite / graphsh_int8.tflite (any graphsh_*.tflite is taken)
#   BENCHMARK_MODEL_BINARY   the android_aarch64 benchmark_model (default: ./benchmark_model, or $BENCHMARK_MODEL).
#                            Prebuilt binaries: see the "TFLite Model Benchmark Tool" page of the LiteRT docs.
# Needs adb with one device attached (select one with ANDROID_SERIAL). Logs go to benchmark/logs/<timestamp>/
# (or $GRAPHSH_BENCH_LOG_DIR), one file per model and configuration, plus summary.tsv (model, config, avg us from the
# "Inference timings" line; "?" when a log has no such line, "failed" when benchmark_model exited non-zero).
# Exactly $WARMUP_RUNS (default 50) warm-up and $NUM_RUNS (default 500) timed runs per configuration.
# Configurations: CPU with 1/2/4 threads and --use_xnnpack=true, CPU 1 thread without XNNPACK, GPU
# (--use_gpu=true) and NNAPI (--use_nnapi=true). A delegate the device lacks fails and is logged, not fatal.
set -euo pipefail

RUN_DIR="${1:?usage: $0 RUN_DIR [BENCHMARK_MODEL_BINARY]}"
BIN="${2:-${BENCHMARK_MODEL:-./benchmark_model}}"
DEVICE_DIR=/data/local/tmp/graphsh
HERE="$(cd "$(dirname "$0")" && pwd)"
LOG_DIR="${GRAPHSH_BENCH_LOG_DIR:-$HERE/logs/$(date +%Y%m%d-%H%M%S)}"
WARMUP_RUNS="${WARMUP_RUNS:-50}"
NUM_RUNS="${NUM_RUNS:-500}"

command -v adb >/dev/null || { echo "run_benchmark: adb not found; install Android platform-tools" >&2; exit 2; }
[ -f "$BIN" ] || { echo "run_benchmark: benchmark_model binary '$BIN' not found; pass its path as 2nd argument" >&2; exit 2; }
shopt -s nullglob
MODELS=("$RUN_DIR"/graphsh_*.tflite)
[ ${#MODELS[@]} -gt 0 ] || { echo "run_benchmark: no graphsh_*.tflite in '$RUN_DIR'" >&2; exit 2; }
adb get-state >/dev/null 2>&1 || { echo "run_benchmark: no device attached (adb get-state failed)" >&2; exit 2; }

mkdir -p "$LOG_DIR"
adb shell mkdir -p "$DEVICE_DIR"
adb push "$BIN" "$DEVICE_DIR/benchmark_model" >/dev/null
adb shell chmod +x "$DEVICE_DIR/benchmark_model"
{
  echo "device: $(adb shell getprop ro.product.model | tr -d '\r') ($(adb shell getprop ro.board.platform | tr -d '\r')), Android $(adb shell getprop ro.build.version.release | tr -d '\r')"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} | tee "$LOG_DIR/device.txt"

CONFIGS=(
  "cpu_t1_xnnpack|--num_threads=1 --use_xnnpack=true"
  "cpu_t2_xnnpack|--num_threads=2 --use_xnnpack=true"
  "cpu_t4_xnnpack|--num_threads=4 --use_xnnpack=true"
  "cpu_t1_noxnnpack|--num_threads=1 --use_xnnpack=false"
  "gpu|--use_gpu=true"
  "nnapi|--use_nnapi=true"
)

printf "model\tconfig\tavg_us\n" > "$LOG_DIR/summary.tsv"
for model in "${MODELS[@]}"; do
  name="$(basename "$model" .tflite)"
  adb push "$model" "$DEVICE_DIR/$name.tflite" >/dev/null
  for entry in "${CONFIGS[@]}"; do
    config="${entry%%|*}"
    flags="${entry#*|}"
    log="$LOG_DIR/${name}_${config}.log"
    echo "== $name $config"
    # benchmark_model runs max(--num_runs, as many as fit in --min_secs) timed runs (same for the warm-up); with
    # the minimum times at 0 the counts below are exactly what runs.
    # shellcheck disable=SC2086
    if adb shell "$DEVICE_DIR/benchmark_model" --graph="$DEVICE_DIR/$name.tflite" \
        --warmup_runs="$WARMUP_RUNS" --warmup_min_secs=0 --num_runs="$NUM_RUNS" --min_secs=0 \
        $flags >"$log" 2>&1; then
      # A log without the line (another tool version, a crash after exit 0) gives "?" instead of ending the script.
      avg="$(grep -o 'Inference (avg): [0-9.e+]*' "$log" | tail -1 | awk '{print $3}' || true)"
      printf "%s\t%s\t%s\n" "$name" "$config" "${avg:-?}" >> "$LOG_DIR/summary.tsv"
    else
      printf "%s\t%s\tfailed\n" "$name" "$config" >> "$LOG_DIR/summary.tsv"
    fi
  done
  adb shell rm -f "$DEVICE_DIR/$name.tflite"
done
column -t -s $'\t' "$LOG_DIR/summary.tsv" || cat "$LOG_DIR/summary.tsv"
echo "logs: $LOG_DIR"
