#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into a NEW database and an empty file store, then check it.
# docs/operations.md, "Backup and restore".
#
#   deploy/restore.sh BACKUP_DIR
#
# The target is named by the settings the portal reads, as it will run on the restored data:
#   DATABASE_URL   a database that does not exist yet (created here) or exists and is empty;
#                  never the live one: restore.sh refuses a database that has tables
#   FILE_STORAGE   directory: UPLOAD_DIR must be empty or absent, the files are unpacked into it
#                  s3: the files are imported into S3_BUCKET through `files import` (existing keys are kept)
# A backup of one backend restores into either. PORTAL_COMMAND as in backup.sh.
#
# Afterwards it runs `files check` (every attachment row has its file) and `statistics check` (the
# aggregates match a recount): a restore that does not pass both exits non-zero.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
backup="${1:?usage: deploy/restore.sh BACKUP_DIR}"
backup="$(cd "$backup" && pwd)"
: "${DATABASE_URL:?DATABASE_URL must name the NEW database to restore into}"
storage="${FILE_STORAGE:-directory}"

case "$DATABASE_URL" in
  postgresql*) ;;
  *) echo "restore.sh restores into PostgreSQL; DATABASE_URL is ${DATABASE_URL%%:*}" >&2; exit 2 ;;
esac
db_url="$(printf '%s' "$DATABASE_URL" | sed -E 's#^postgresql\+[a-z0-9]+://#postgresql://#')"
# postgresql://user@host:port/NAME?options -> NAME, and the same server's maintenance database.
path_and_query="${db_url##*/}"
name="${path_and_query%%\?*}"
query="${path_and_query#"$name"}"
maintenance="${db_url%/*}/postgres$query"
if ! [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
  echo "restore.sh: the database name must be letters, digits and _ ($name)" >&2
  exit 2
fi

if [ -n "${PORTAL_COMMAND:-}" ]; then
  read -r -a portal <<<"$PORTAL_COMMAND"
elif command -v portal >/dev/null 2>&1; then
  portal=(portal)
else
  cd "$here/.."
  portal=("${FLASK:-flask}" --app app)
fi

echo "checking $backup"
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || { echo "the backup is damaged: checksums differ" >&2; exit 1; }
grep -q '"format": 1' "$backup/manifest.json" || { echo "not a backup of format 1" >&2; exit 1; }

# Refuse everything before changing anything: the file store first (no server needed), then the database.
case "$storage" in
  directory)
    uploads="${UPLOAD_DIR:?FILE_STORAGE=directory needs UPLOAD_DIR}"
    if [ -d "$uploads" ] && [ -n "$(ls -A "$uploads")" ]; then
      echo "UPLOAD_DIR $uploads is not empty: restore into an empty one" >&2
      exit 1
    fi
    ;;
  s3) : "${S3_BUCKET:?FILE_STORAGE=s3 needs S3_BUCKET}" ;;
  *) echo "FILE_STORAGE must be directory or s3, not $storage" >&2; exit 2 ;;
esac
exists="$(psql "$maintenance" -XtAc "SELECT 1 FROM pg_database WHERE datname = '$name'")"
if [ "$exists" = 1 ]; then
  tables="$(psql "$db_url" -XtAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
  if [ "$tables" != 0 ]; then
    echo "database $name already has $tables table(s): restore into a new database, never over one in use" >&2
    exit 1
  fi
fi

if [ "$exists" != 1 ]; then
  echo "creating database $name"
  psql "$maintenance" -Xq -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$name\""
fi
echo "database: pg_restore into $name"
# --no-owner: the objects belong to whoever restores (the portal's account), whoever owned them before.
pg_restore --no-owner --no-privileges --exit-on-error --jobs=2 --dbname="$db_url" "$backup/database.dump"

case "$storage" in
  directory)
    mkdir -p "$uploads"
    echo "files: unpacking into $uploads"
    tar --extract --file="$backup/files.tar" --directory="$uploads" --no-same-owner
    ;;
  s3)
    unpacked="$(mktemp -d)"
    trap 'rm -rf "$unpacked"' EXIT
    tar --extract --file="$backup/files.tar" --directory="$unpacked" --no-same-owner
    echo "files: importing into the bucket $S3_BUCKET"
    "${portal[@]}" files import "$unpacked"
    ;;
esac

echo "checking the restored portal"
"${portal[@]}" files check
"${portal[@]}" statistics check
echo "restore complete: database $name, files in ${storage} (run \`db upgrade\` if this code is newer than the backup)"
