module bookshop/e2e

go 1.26.8

require (
	bookshop/pkg v0.0.0
	github.com/chromedp/chromedp v0.23.0
	github.com/google/go-cmp v0.7.0
	github.com/jmoiron/sqlx v1.4.0
	github.com/mattn/go-sqlite3 v1.14.53
	github.com/rabbitmq/amqp091-go v1.16.0
	go.yaml.in/yaml/v3 v3.0.5
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/oklog/ulid/v2 v2.1.2 // indirect
)

replace bookshop/pkg => ../pkg
