# bookshop: `make run` runs the whole shop locally, `make test` runs every test.
PROGRAMS := orchestrator billing fulfillment communication frontend
MODULES  := pkg $(PROGRAMS) e2e

.PHONY: run test build vet fmt loadgen bench gobench clean

run:
	scripts/run-local.sh

test:
	scripts/test.sh

build:
	@mkdir -p bin
	@for p in $(PROGRAMS); do go build -o bin/$$p ./$$p/cmd/$$p || exit 1; done
	go build -o bin/loadgen ./e2e/cmd/loadgen

vet:
	@for m in $(MODULES); do (cd $$m && go vet ./...) || exit 1; done

fmt:
	gofmt -w $(MODULES)

# 2,000 orders at concurrency 64 against a freshly started shop.
loadgen: build
	bin/loadgen -start -n 2000 -c 64

# The whole shop under load through the frontend API: one table of orders/s,
# latencies, CPU per 1,000 orders and peak memory per program and the broker.
bench:
	go run ./e2e/cmd/bench

# The hot paths alone (go test -bench): one saga step decided and persisted,
# inbox batches, the outbox relay, packing and unpacking, JSON of every
# message type, a checkout and a status event in the frontend, a command in
# each worker.
gobench:
	cd pkg && go test -run '^$$' -bench . -benchtime 1s ./msg ./inbox ./outbox ./sqlite ./rabbit
	cd orchestrator && go test -run '^$$' -bench . -benchtime 200x . ./sqlite
	cd frontend && go test -run '^$$' -bench . . ./httpapi
	cd billing && go test -run '^$$' -bench . . ./gateway
	cd fulfillment && go test -run '^$$' -bench . .
	cd communication && go test -run '^$$' -bench . .

clean:
	rm -rf bin var
