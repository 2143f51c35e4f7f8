# Sourced by the tmux smoke scripts: start_session NAME COLUMNS ROWS COMMAND runs COMMAND in a
# detached tmux session (killed on exit); wait_for PATTERN waits up to 30 s for it on screen.
start_session() {
  session=$1
  tmux new-session -d -s "$session" -x "$2" -y "$3" "$4"
  trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
}

wait_for() {
  for _ in $(seq 1 150); do
    if tmux capture-pane -p -t "$session" 2>/dev/null | grep -q -- "$1"; then return 0; fi
    sleep 0.2
  done
  echo "$session: '$1' never appeared; the pane shows:" >&2
  tmux capture-pane -p -t "$session" >&2 || true
  exit 1
}
