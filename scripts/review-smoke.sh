#!/usr/bin/env bash
# Smoke test of the reviewer in a real terminal: `curate review` inside tmux at 160x40, the
# screen captured for the caller to check. Usage: scripts/review-smoke.sh PROJECT_DIR REVIEWER
set -euo pipefail
project=${1:?usage: scripts/review-smoke.sh PROJECT_DIR REVIEWER}
reviewer=${2:?usage: scripts/review-smoke.sh PROJECT_DIR REVIEWER}
curate=${CURATE:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/curate}
. "$(dirname "$0")/tmux-session.sh"
start_session "curate-review-smoke-$$" 160 40 "$curate -C '$project' review --as $reviewer"

wait_for "in queue"
wait_for "4 "
wait_until_still  # the panes finish their first layout
echo "--- screen"
tmux capture-pane -p -t "$session"
echo "--- end"
tmux send-keys -t "$session" "?"        # the help screen lists the keys
wait_for "what it does"
tmux send-keys -t "$session" Escape
tmux send-keys -t "$session" C-q
tmux send-keys -t "$session" C-q
for _ in $(seq 1 50); do tmux has-session -t "$session" 2>/dev/null || break; sleep 0.2; done
echo "review-smoke: ok"
