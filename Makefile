# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
.PHONY: setup demo down test unit sanity

setup:
	bash tests/setup.sh

demo: setup
	bash tests/sandbox/demo.sh

down:
	bash tests/sandbox/sandbox.sh down

test: setup
	bash tests/run.sh

unit sanity: setup
	bash tests/run.sh $@
