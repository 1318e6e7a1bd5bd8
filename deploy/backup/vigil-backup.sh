#!/usr/bin/env bash
# Back up Vigil's database (docs/backup.md).
#   vigil-backup.sh base <dest-dir>    base backup (pg_basebackup, tar + gzip) for restore with the WAL archive
#   vigil-backup.sh switch-wal         close the current WAL segment and wait until it is archived
#   vigil-backup.sh dump <dest-file>   logical dump (pg_dump -Fc), for small sites without WAL archiving
# Connection: DATABASE_URL (postgres://user@host:port/db), a role with REPLICATION for `base`.
# Programs: PG_BIN (default /usr/lib/postgresql/15/bin), else from PATH.
set -euo pipefail
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
bin() { if [[ -x "$PG_BIN/$1" ]]; then echo "$PG_BIN/$1"; else command -v "$1"; fi; }
die() { echo "vigil-backup: $*" >&2; exit 2; }
[[ -n "${DATABASE_URL:-}" ]] || die "DATABASE_URL is not set / 未设置 DATABASE_URL"
cmd="${1:-}"

case "$cmd" in
  base)
    dest="${2:?usage: vigil-backup.sh base <dest-dir>}"
    [[ ! -e "$dest" || -z "$(ls -A "$dest" 2>/dev/null)" ]] || die "$dest is not empty / 目标目录非空"
    mode="$("$(bin psql)" "$DATABASE_URL" -XAtc 'SHOW archive_mode')"
    [[ "$mode" == on || "$mode" == always ]] || die "archive_mode is $mode: a base backup is only restorable with WAL archiving on (docs/backup.md) / 未开启 WAL 归档"
    # -X none: the WAL comes from the archive; --checkpoint=fast: start now, not at the next checkpoint
    "$(bin pg_basebackup)" -d "$DATABASE_URL" -D "$dest" -Ft -z -X none --checkpoint=fast --label "vigil-$(date -u +%Y%m%dT%H%M%SZ)" --no-password
    # the segment holding the backup's end must be archived before the backup is usable
    "$0" switch-wal
    echo "base backup written to $dest / 基础备份已写入 $dest"
    ;;
  switch-wal)
    lsn_file="$("$(bin psql)" "$DATABASE_URL" -XAtc 'SELECT pg_walfile_name(pg_switch_wal())')"
    for _ in $(seq 1 600); do
      last="$("$(bin psql)" "$DATABASE_URL" -XAtc 'SELECT last_archived_wal FROM pg_stat_archiver')"
      [[ -n "$last" && ! "$last" < "$lsn_file" ]] && { echo "archived through $last / 已归档至 $last"; exit 0; }
      sleep 0.1
    done
    die "WAL segment $lsn_file not archived within 60 s: check archive_command and pg_stat_archiver / WAL 段 60 秒内未归档"
    ;;
  dump)
    dest="${2:?usage: vigil-backup.sh dump <dest-file>}"
    "$(bin pg_dump)" -d "$DATABASE_URL" -Fc -f "$dest.tmp" --no-password
    sync "$dest.tmp"
    mv "$dest.tmp" "$dest"
    echo "dump written to $dest / 逻辑备份已写入 $dest"
    ;;
  *)
    die "usage: vigil-backup.sh base <dir> | switch-wal | dump <file> / 用法见 docs/backup.md"
    ;;
esac
