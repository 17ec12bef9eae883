# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
.PHONY: setup demo ssh down test unit sanity

setup:
	bash tests/setup.sh

demo: setup
	bash tests/sandbox/demo.sh

# A shell on the demo's guest; `make ssh CMD='findmnt -t nfs4'` runs one command.
ssh:
	bash tests/sandbox/sandbox.sh ssh guest1 $(CMD)

down:
	bash tests/sandbox/sandbox.sh down

test: setup
	bash tests/run.sh

unit sanity: setup
	bash tests/run.sh $@
