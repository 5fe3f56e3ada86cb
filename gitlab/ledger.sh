#!/usr/bin/env bash
# Keep the first-seen ledger between CI jobs, which start from scratch each time: it lives on a
# branch of the instructor's project (dlgrade-data) as one append-only JSONL file.
#
#   gitlab/ledger.sh pull   fetch it into $DLGRADE_LEDGER (no branch yet: start empty)
#   gitlab/ledger.sh push   add its lines to the branch; a concurrent push is merged and retried
#
# DLGRADE_DATA_REMOTE: where the branch lives (default: this project over HTTPS with
# DLGRADE_PUSH_TOKEN, a project access token with write_repository; the job token cannot push).
set -euo pipefail
mode=${1:?usage: ledger.sh pull|push}
ledger=${DLGRADE_LEDGER:-data/ledger.jsonl}
branch=${DLGRADE_DATA_BRANCH:-dlgrade-data}
remote=${DLGRADE_DATA_REMOTE:-}
if [ -z "$remote" ]; then
    : "${DLGRADE_PUSH_TOKEN:?set DLGRADE_PUSH_TOKEN (write_repository) or DLGRADE_DATA_REMOTE}"
    remote="https://oauth2:${DLGRADE_PUSH_TOKEN}@${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git"
fi
mkdir -p "$(dirname "$ledger")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$work" init -q
git -C "$work" config user.name "dlgrade"
git -C "$work" config user.email "dlgrade@localhost"

fetch() {  # the branch's ledger into $work/ledger.jsonl; false when the branch does not exist yet
    git -C "$work" fetch -q "$remote" "refs/heads/$branch" 2>/dev/null || return 1
    git -C "$work" checkout -q --force FETCH_HEAD
}

case "$mode" in
pull)
    if fetch; then
        touch "$ledger" "$work/ledger.jsonl"
        sort -u "$work/ledger.jsonl" "$ledger" > "$ledger.new"  # lines are whole sightings: a union loses none
        mv "$ledger.new" "$ledger"
        echo "ledger: $(wc -l < "$ledger") sightings from $branch"
    else
        touch "$ledger"
        echo "ledger: no $branch branch yet, starting empty"
    fi
    ;;
push)
    for attempt in 1 2 3 4 5; do
        fetch || git -C "$work" checkout -q --orphan "$branch"
        touch "$work/ledger.jsonl"
        sort -u "$work/ledger.jsonl" "$ledger" > "$work/merged" && mv "$work/merged" "$work/ledger.jsonl"
        git -C "$work" add ledger.jsonl
        git -C "$work" diff --cached --quiet && { echo "ledger: nothing new"; exit 0; }
        git -C "$work" commit -q -m "Ledger: $(date -u +%FT%TZ) (${CI_JOB_NAME:-manual})"
        if git -C "$work" push -q "$remote" "HEAD:refs/heads/$branch" 2>/dev/null; then
            echo "ledger: $(wc -l < "$work/ledger.jsonl") sightings pushed to $branch"
            exit 0
        fi
        echo "ledger: $branch moved meanwhile, merging again ($attempt)"
        sleep $((attempt * 2))
    done
    echo "ledger: could not push to $branch" >&2
    exit 1
    ;;
*) echo "usage: ledger.sh pull|push" >&2; exit 2 ;;
esac
