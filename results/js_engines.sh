#!/usr/bin/env bash
# JavaScript workers on boa (the default build) and on QuickJS (`--features quickjs`), side by
# side in one run: the Table 1 figures of each (the QuickJS build writes its row to
# results/table1_quickjs.csv, then the default build's table1 measures the rest and merges
# it), the 100 x 100 mesh flood in JS (wall time and peak RSS of the whole process, by
# /usr/bin/time, rounds interleaved), and a JS -> JS message through the kernel
# (`cargo bench --bench vm`, vm_message/Js_to_Js_table). Writes results/table1_js.{csv,md}.
#
# usage (from anywhere):  results/js_engines.sh [ROUNDS]     (default 3; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
quickjs_target=target/quickjs
export CARGO_TERM_COLOR=never

cargo build -q --release --example mesh16 --example table1
CARGO_TARGET_DIR=$quickjs_target cargo build -q --release --features quickjs --example mesh16 --example table1
declare -A bin=([boa]=target/release/examples [quickjs]=$quickjs_target/release/examples)

"${bin[quickjs]}/table1" --out results | tail -n 2
"${bin[boa]}/table1" --out results | tail -n 1

declare -A wall rss
for ((r = 1; r <= rounds; r++)); do
  for engine in boa quickjs; do
    # `%e %M`: elapsed seconds, peak resident set in kB.
    read -r w m < <( { /usr/bin/time -f '%e %M' "${bin[$engine]}/mesh16" --rows 100 --cols 100 --lang js >/dev/null; } 2>&1 | tail -n 1)
    echo "round $r $engine: ${w} s, ${m} kB"
    wall[$engine]+="$w "
    rss[$engine]+="$m "
  done
done

# Time per message from criterion's first throughput line (elements are messages; a second
# one, against a saved baseline, is a change in per cent).
message_us() {
  local target=$1; shift
  CARGO_TARGET_DIR=$target cargo bench -q --bench vm "$@" -- 'vm_message/Js_to_Js_table' 2>/dev/null |
    awk '/thrpt:/ { v = $4; u = $5; gsub(/\[/, "", v);
                    f = (u ~ /^Melem/) ? 1e6 : (u ~ /^Kelem/) ? 1e3 : (u ~ /^Gelem/) ? 1e9 : 1;
                    printf "%.3f\n", 1e6 / (v * f); exit }'
}
declare -A msg
msg[boa]=$(message_us target)
msg[quickjs]=$(message_us "$quickjs_target" --features quickjs)

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
row() { grep -F "JavaScript ($2)" "$1" | head -n 1; }
csv=results/table1_js.csv
{
  echo "engine,dhry_per_s,t_ivm_ms,m_ivm_kb,tcmsg_ms,flood_wall_s,flood_peak_rss_mb,js_to_js_message_us"
  for engine in boa quickjs; do
    name=$([ "$engine" = boa ] && echo boa || echo QuickJS)
    # host,vm,dhry_per_s,t_ivm_ms,m_ivm_kb,tcmsg_ms,source
    figures=$(row results/table1.csv "$name" | cut -d, -f3-6)
    w=$(echo "${wall[$engine]}" | median)
    m=$(echo "${rss[$engine]}" | median)
    echo "$name,$figures,$w,$(awk -v k="$m" 'BEGIN { printf "%.0f", k / 1024 }'),${msg[$engine]}"
  done
} > "$csv"
{
  echo "| JS engine | dhry/s | t_iVM (ms) | m_iVM (kB) | tcmsg (ms) | 100×100 flood wall (s) | flood peak RSS (MB) | JS→JS message (µs) |"
  echo "|---|---|---|---|---|---|---|---|"
  tail -n +2 "$csv" | awk -F, '{ printf "| %s | %.0f | %.3f | %.0f | %.4f | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
  echo
  echo "Medians: Table 1's figures of $(date -u +%Y-%m-%d) (\`table1\`, 5 repeats), the flood over $rounds interleaved rounds"
  echo "(\`mesh16 --rows 100 --cols 100 --lang js\` under \`/usr/bin/time\`), the message by criterion."
} > results/table1_js.md
cat results/table1_js.md
