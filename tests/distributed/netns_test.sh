#!/usr/bin/env bash
# Two "hosts": network namespaces joined by a veth pair, so the run's traffic really crosses an
# interface. The multi-host recipe of docs/scaling.md (the same `soar launch` on each host with
# --nnodes 2 and its --node-rank) must train exactly like one process, and the interfaces must have
# carried at least the gradient exchanges. Exits 77 (skipped) where namespaces are not permitted.
# Usage: netns_test.sh SOAR_BINARY MODEL_DIR WORK_DIR
set -uo pipefail
soar=$(realpath "$1") model=$(realpath "$2") work=$3
source "$(dirname "${BASH_SOURCE[0]}")/run_inputs.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
a=soar-a-$$ b=soar-b-$$ va=sva$$ vb=svb$$
skip() { echo "SKIP: $1"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "network namespaces need root (ip netns); this test runs as uid $(id -u)"
command -v ip > /dev/null || skip "the ip command (iproute2) is not installed"
ip netns add "$a" 2> netns.err || skip "ip netns add is not permitted here: $(cat netns.err)"
cleanup() { ip netns del "$a" 2> /dev/null; ip netns del "$b" 2> /dev/null; }
trap cleanup EXIT
ip netns add "$b" && ip link add "$va" type veth peer name "$vb" || skip "cannot create a veth pair here"
ip link set "$va" netns "$a" && ip link set "$vb" netns "$b" || exit 1
ip -n "$a" addr add 10.231.0.1/24 dev "$va" && ip -n "$a" link set "$va" up && ip -n "$a" link set lo up || exit 1
ip -n "$b" addr add 10.231.0.2/24 dev "$vb" && ip -n "$b" link set "$vb" up && ip -n "$b" link set lo up || exit 1

write_letters letters.jsonl
args=(train-rl --model "$model" --problems letters.jsonl --steps 3 --prompts-per-step 8 -k 4 --max-new-tokens 1 --lr 3e-3
      --rollout-chunks 4 --seed 7 --checkpoint-every 100)
export SOAR_DIST_TIMEOUT=60
"$soar" --threads 1 "${args[@]}" --out single > single.log 2>&1 || { echo "FAIL single-process run"; cat single.log; exit 1; }
host() {  # host NAMESPACE NODE_RANK INTERFACE
  GLOO_SOCKET_IFNAME=$3 timeout 120 ip netns exec "$1" "$soar" --threads 1 launch --nproc 1 --nnodes 2 --node-rank "$2" \
    --master-addr 10.231.0.1 --master-port 29611 -- "${args[@]}" --out "host$2"
}
host "$a" 0 "$va" > host0.log 2>&1 & pid=$!
host "$b" 1 "$vb" > host1.log 2>&1; rc1=$?
wait $pid; rc0=$?
bytes=$(ip netns exec "$a" cat /sys/class/net/$va/statistics/tx_bytes)
params=$(stat -c %s "$model/model.safetensors")
failures=0
if [[ $rc0 -eq 0 && $rc1 -eq 0 ]] && cmp -s single/model/model.safetensors host0/model/model.safetensors; then
  echo "ok   two hosts over a veth pair = one process (model bytes)"
else
  echo "FAIL two hosts: exit $rc0 / $rc1"; cat host0.log host1.log; failures=1
fi
# Three steps exchange at least three gradients (one parameter set each) across the pair.
if [[ $bytes -gt $((3 * params)) ]]; then
  echo "ok   $bytes bytes left host 0 through $va (parameters: $params bytes)"
else
  echo "FAIL only $bytes bytes crossed $va"; failures=1
fi
exit $failures
