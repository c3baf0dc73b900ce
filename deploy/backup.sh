#!/usr/bin/env bash
# Back up the Citizen's Portal: its PostgreSQL database (pg_dump, custom format) and its stored files
# (photos, thumbnails, PDF documents), with a manifest and checksums. docs/operations.md, "Backup and restore".
#
#   deploy/backup.sh [BACKUP_ROOT]        (default: ./backups)
#
# writes BACKUP_ROOT/portal-YYYYmmddTHHMMSSZ/ with
#   database.dump   pg_dump --format=custom: one consistent snapshot, restored with pg_restore
#   files.tar       every stored file, keyed as FILE_STORAGE=directory lays them out (ab/abcd….jpg), from
#                   either backend: a tarball of UPLOAD_DIR, or the bucket's objects through `files export`
#   manifest.json   when, from where, schema revision, counts, sizes
#   SHA256SUMS      checked by deploy/restore.sh before it touches anything
# The backup is made under a ".partial" name and renamed when complete: a folder without it is whole.
#
# It reads the settings the portal reads (DATABASE_URL, FILE_STORAGE, UPLOAD_DIR, S3_*): run it with the
# environment of the web processes (e.g. systemd's EnvironmentFile). PORTAL_COMMAND runs the portal's own
# commands: default `portal` when installed, else `flask --app app` from this checkout.
#
# The database is dumped first, then the files: every row in the dump had its file stored before it
# committed, so the files copied afterwards include all of them (and perhaps a few newer ones, harmless).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="${1:-./backups}"
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database of the portal}"
storage="${FILE_STORAGE:-directory}"

case "$DATABASE_URL" in
  postgresql*) ;;
  *) echo "backup.sh backs up PostgreSQL; DATABASE_URL is ${DATABASE_URL%%:*}" >&2; exit 2 ;;
esac
# SQLAlchemy's "postgresql+psycopg://" is libpq's "postgresql://".
db_url="$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')"

if [ -n "${PORTAL_COMMAND:-}" ]; then
  read -r -a portal <<<"$PORTAL_COMMAND"
elif command -v portal >/dev/null 2>&1; then
  portal=(portal)
else
  cd "$here/.."  # the checkout: `flask --app app` finds the package here
  portal=("${FLASK:-flask}" --app app)
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$root"
final="$(cd "$root" && pwd)/portal-$stamp"
work="$final.partial"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
umask 077  # personal data: readable by the account that makes backups only

echo "database: pg_dump of ${db_url##*/}"
pg_dump --format=custom --compress=6 --file="$work/database.dump" "$db_url"
revision="$(psql "$db_url" -XtAc 'SELECT version_num FROM alembic_version')"
complaints="$(psql "$db_url" -XtAc 'SELECT count(*) FROM complaints')"
attachments="$(psql "$db_url" -XtAc 'SELECT count(*) FROM attachments')"

case "$storage" in
  directory)
    # Unset, UPLOAD_DIR is where the portal puts it (under PORTAL_DATA_DIR): ask the portal, never guess.
    uploads="${UPLOAD_DIR:-$("${portal[@]}" files location)}"
    echo "files: tarball of $uploads"
    mkdir -p "$uploads"
    # Photos are JPEG already: no compression. A half-written ".part" of a request in progress is not a file yet.
    # Exit status 1 is GNU tar's "a file changed while read" (a new upload arriving): the dump needs none of them.
    status=0
    tar --create --file="$work/files.tar" --directory="$uploads" --exclude='*.part' . || status=$?
    [ "$status" -le 1 ] || exit "$status"
    ;;
  s3)
    echo "files: the bucket ${S3_BUCKET:-?} through \`files export\`"
    "${portal[@]}" files export "$work/files"
    tar --create --file="$work/files.tar" --directory="$work/files" .
    rm -rf "$work/files"
    ;;
  *) echo "FILE_STORAGE must be directory or s3, not $storage" >&2; exit 2 ;;
esac
stored="$(tar --list --file="$work/files.tar" | grep -cE '^\./[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|pdf)$' || true)"

cat >"$work/manifest.json" <<JSON
{
  "format": 1,
  "created_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "host": "$(hostname)",
  "database": {"file": "database.dump", "name": "${db_url##*/}", "schema_revision": "$revision",
               "pg_dump": "$(pg_dump --version | awk '{print $NF}')", "bytes": $(stat -c %s "$work/database.dump")},
  "files": {"file": "files.tar", "from": "$storage", "count": $stored, "bytes": $(stat -c %s "$work/files.tar")},
  "rows": {"complaints": $complaints, "attachments": $attachments}
}
JSON
(cd "$work" && sha256sum database.dump files.tar manifest.json >SHA256SUMS)
mv "$work" "$final"
trap - EXIT
echo "backup complete: $final ($complaints complaints, $attachments attachments, $stored files, schema $revision)"
