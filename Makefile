# The two commands a fresh machine needs (see README): `make demo` and `make test`.
# Both install what they need first (scripts/install.sh: apt packages + .venv).
DEMO_OUT ?= demo

.PHONY: install demo test test-slow bench

install:
	./scripts/install.sh

demo: install
	.venv/bin/simsv build --preset demo --out $(DEMO_OUT) --workers 2
	.venv/bin/simsv look --corpus $(DEMO_OUT)/corpus --house 0 --out $(DEMO_OUT)/look
	@echo "Hub folder: $(abspath $(DEMO_OUT))/sims-vsi   corpus: $(abspath $(DEMO_OUT))/corpus   pictures: $(abspath $(DEMO_OUT))/look"

test: install
	.venv/bin/python -m pytest -q

# the long end-to-end runs (2-process DeepSpeed, resume); CI runs them after `make test`
test-slow: install
	.venv/bin/python -m pytest -q -m slow

bench: install
	.venv/bin/simsv bench capture
	@echo "QA benchmark: .venv/bin/simsv bench qa --corpus <a corpus after simsv qa> --workers 2"
