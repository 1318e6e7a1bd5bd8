#!/usr/bin/env bash
# Restore Vigil's database (docs/backup.md).
#   vigil-restore.sh base <backup-dir> <data-dir> <wal-archive> [<recovery-target-time>]
#       unpack a base backup into an EMPTY data directory and set it to replay the WAL
#       archive (to its end, or to the given time, e.g. '2026-11-26 16:00:00+08'); then
#       start PostgreSQL: it recovers, then opens for writing.
#   vigil-restore.sh dump <dump-file>
#       restore a pg_dump -Fc file into the (empty, migrated or not) database at DATABASE_URL
# As root, the data directory is handed to the postgres OS user.
set -euo pipefail
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
bin() { if [[ -x "$PG_BIN/$1" ]]; then echo "$PG_BIN/$1"; else command -v "$1"; fi; }
die() { echo "vigil-restore: $*" >&2; exit 2; }
cmd="${1:-}"

case "$cmd" in
  base)
    backup="${2:?usage: vigil-restore.sh base <backup-dir> <data-dir> <wal-archive> [target-time]}"
    data="${3:?data-dir missing / 缺少数据目录}"
    archive="${4:?wal-archive missing / 缺少 WAL 归档目录}"
    target="${5:-}"
    [[ -f "$backup/base.tar.gz" ]] || die "$backup/base.tar.gz not found: not a base backup / 不是基础备份"
    [[ -d "$archive" ]] || die "WAL archive $archive not found / 找不到 WAL 归档"
    if [[ -e "$data" && -n "$(ls -A "$data")" ]]; then die "$data is not empty: move the damaged cluster away first / 数据目录非空"; fi
    mkdir -p "$data"
    chmod 700 "$data"
    tar -xzf "$backup/base.tar.gz" -C "$data"
    [[ -f "$backup/pg_wal.tar.gz" ]] && tar -xzf "$backup/pg_wal.tar.gz" -C "$data/pg_wal"
    mkdir -p "$data/pg_wal"
    {
      echo "# vigil-restore $(date -u +%FT%TZ)"
      echo "restore_command = 'cp \"$archive/%f\" \"%p\"'"
      if [[ -n "$target" ]]; then echo "recovery_target_time = '$target'"; echo "recovery_target_action = 'promote'"; fi
    } >> "$data/postgresql.auto.conf"
    touch "$data/recovery.signal"
    if [[ "$(id -u)" == 0 ]] && id postgres >/dev/null 2>&1; then chown -R postgres:postgres "$data"; fi
    echo "restored base backup into $data; start PostgreSQL to replay the WAL archive / 已还原基础备份，启动数据库以重放 WAL"
    ;;
  dump)
    file="${2:?usage: vigil-restore.sh dump <dump-file>}"
    [[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set / 未设置 DATABASE_URL"
    "$(bin pg_restore)" -d "$DATABASE_URL" --no-owner --exit-on-error "$file"
    echo "restored $file / 已还原 $file"
    ;;
  *)
    die "usage: vigil-restore.sh base <backup-dir> <data-dir> <wal-archive> [target-time] | dump <file>"
    ;;
esac
