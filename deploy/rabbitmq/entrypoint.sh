#!/bin/sh
# Entry point of the rabbitmq service in docker-compose.yml: starts RabbitMQ
# with bookshop's definitions, their passwords taken from the environment.
#
# A definitions file cannot read environment variables, so definitions.json
# holds a placeholder "${VAR}" where each user's password goes. This script
# replaces each with the value of the variable VAR, writes the result to a
# tmpfs (never the data volume), where rabbitmq.conf's load_definitions finds
# it, and hands over to the image's own entry point. RabbitMQ imports it at
# every boot, so changing a password is: change the variable, restart the
# broker and the service.
#
# Each variable must be set, at least 12 characters from A-Z a-z 0-9 . _ ~ -:
# a service puts its password into an amqp:// URL, where these characters need
# no escaping (nor do they in JSON or in the sed below).
set -eu

template=${BOOKSHOP_DEFINITIONS_TEMPLATE:-/etc/bookshop/rabbitmq/definitions.json}
rendered=${BOOKSHOP_DEFINITIONS:-/run/bookshop-rabbitmq/definitions.json}

fail() {
	echo "bookshop rabbitmq entrypoint: $*" >&2
	exit 1
}

[ -r "$template" ] || fail "cannot read the definitions template $template"
vars=$(grep -o '"\${[A-Z][A-Z0-9_]*}"' "$template" | tr -d '"${}' | sort -u)
[ -n "$vars" ] || fail "$template has no \"\${VAR}\" password placeholder"

mkdir -p "$(dirname "$rendered")"
umask 077
tmp="$rendered.tmp"
trap 'rm -f "$tmp"' EXIT
cp "$template" "$tmp"
for var in $vars; do
	eval "value=\${$var:-}"
	case $value in
	'') fail "$var is not set (see .env.example)" ;;
	*[!A-Za-z0-9._~-]*) fail "$var may only hold letters, digits and . _ ~ - (it goes into an amqp:// URL)" ;;
	esac
	[ "${#value}" -ge 12 ] || fail "$var must be at least 12 characters long"
	sed -i "s|\"\\\${$var}\"|\"$value\"|g" "$tmp"
done
if grep -q '"\${' "$tmp"; then
	fail "a placeholder is left in $tmp"
fi
# The image's entry point drops from root to the rabbitmq user.
if [ "$(id -u)" = 0 ]; then
	chown rabbitmq:rabbitmq "$tmp"
fi
mv "$tmp" "$rendered"
exec docker-entrypoint.sh "$@"
