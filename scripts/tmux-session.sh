# Sourced by the tmux smoke scripts: start_session NAME COLUMNS ROWS COMMAND runs COMMAND in a
# detached tmux session (killed on exit); wait_for PATTERN waits up to 30 s for it on screen;
# wait_until_still waits for the screen to stop changing.
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

# wait_until_still: the screen unchanged across two captures 0.2 s apart (the layout settled),
# up to 30 s.
wait_until_still() {
  local before now
  before=$(tmux capture-pane -p -t "$session")
  for _ in $(seq 1 150); do
    sleep 0.2
    now=$(tmux capture-pane -p -t "$session")
    [ "$now" = "$before" ] && return 0
    before=$now
  done
  echo "$session: the screen never settled" >&2
  exit 1
}
