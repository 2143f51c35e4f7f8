#!/usr/bin/env bash
# Smoke test of the terminal UI in a real terminal: run `curate annotate` inside tmux, send keys,
# check the captured pane. Usage: scripts/tui-smoke.sh PROJECT_DIR [ANNOTATOR]
set -euo pipefail
project=${1:?usage: scripts/tui-smoke.sh PROJECT_DIR [ANNOTATOR]}
annotator=${2:-alice}
curate=${CURATE:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/curate}
. "$(dirname "$0")/tmux-session.sh"
start_session "curate-smoke-$$" 100 30 "$curate -C '$project' annotate --as $annotator"

wait_for "0/5 done"
# Scrolling: End takes the cursor, and the text with it, to the end; Home back to the top.
top=$(tmux capture-pane -p -t "$session" | sed -n 3p)
tmux send-keys -t "$session" End
for _ in $(seq 1 150); do
  [ "$(tmux capture-pane -p -t "$session" | sed -n 3p)" != "$top" ] && break
  sleep 0.2
done
if [ "$(tmux capture-pane -p -t "$session" | sed -n 3p)" = "$top" ]; then
  echo "tui-smoke: End did not scroll the text" >&2; exit 1
fi
tmux send-keys -t "$session" Home
wait_for "$(printf '%s' "$top" | cut -c1-30 | sed 's/[][\\.*^$]/\\&/g')"
tmux send-keys -t "$session" A          # accept every suggestion (many: A asks, A again)
wait_for "press A again"
tmux send-keys -t "$session" A
wait_for "\[GPE\]"
tmux send-keys -t "$session" 1          # stance of the first target: favor
wait_for "favor"
tmux send-keys -t "$session" C-s        # submit
wait_for "1/5 done"
tmux send-keys -t "$session" "?"        # the help screen lists the keys
wait_for "what it does"
tmux send-keys -t "$session" Escape
tmux send-keys -t "$session" C-q
for _ in $(seq 1 50); do tmux has-session -t "$session" 2>/dev/null || break; sleep 0.2; done
echo "tui-smoke: ok"
