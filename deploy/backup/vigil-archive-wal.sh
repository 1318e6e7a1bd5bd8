#!/usr/bin/env bash
# PostgreSQL archive_command for Vigil: copy one WAL segment into the archive,
# durably (write to a temporary name, fsync, rename) and never overwrite.
#   archive_command = '/opt/vigil/deploy/backup/vigil-archive-wal.sh %p %f /var/lib/vigil/wal-archive'
# Exit 0 only when the segment is safely in the archive; PostgreSQL retries otherwise.
set -euo pipefail
src="$1"; name="$2"; archive="$3"
dest="$archive/$name"
if [[ -f "$dest" ]]; then
  # the same segment archived twice (a retry after a crash) is fine; a different one is not
  cmp -s "$src" "$dest" && exit 0
  echo "vigil-archive-wal: $dest exists with different content / 归档中已存在内容不同的同名 WAL 段" >&2
  exit 1
fi
tmp="$archive/.$name.tmp.$$"
cp "$src" "$tmp"
sync "$tmp"
mv "$tmp" "$dest"
sync "$archive"
