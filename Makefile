# The two commands: `make run` starts the service, `make test` runs every test.
# Both install what is missing (Debian packages) and build first.
.PHONY: run test build deps clean

run:
	scripts/run.sh

test:
	scripts/test.sh

build: deps
	scripts/build.sh build

deps:
	scripts/install-deps.sh

clean:
	rm -rf build
