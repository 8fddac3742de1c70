# Runs the service and its PostgreSQL with Docker Compose, and the test suite locally. `make` lists the targets.

SELF := $(lastword $(MAKEFILE_LIST))
.DEFAULT_GOAL := help

# .env, when present, sets the published port for the URL printed by `make up`. Nothing is exported from here:
# compose reads .env itself (and parses quotes, which make would keep), and `make test` must see the same
# environment as `npm test`.
-include .env
PORT := $(or $(strip $(PORT)),8000)

# Seconds `make up` waits for the containers to report healthy.
UP_TIMEOUT_S ?= 120
# App replicas. Above 1, docker-compose.scale.yml is added: the replicas sit behind nginx, which alone is published.
# Compose reads COMPOSE_FILE from the environment or .env; the scale file is added to whatever that names.
REPLICAS ?= 1
ifeq ($(strip $(REPLICAS)),1)
SCALE_ENV :=
SCALE_ARGS :=
ENTRY := app 8000
else
SCALE_ENV := COMPOSE_FILE="$(or $(COMPOSE_FILE),docker-compose.yml):docker-compose.scale.yml"
SCALE_ARGS := --scale app=$(REPLICAS)
ENTRY := proxy 80
endif
# `make logs SERVICE=app` follows one service; empty follows both.
SERVICE ?=

# Compose v2 as a docker plugin, else a standalone docker-compose binary. Override with COMPOSE=...
ifeq ($(origin COMPOSE),undefined)
COMPOSE := $(shell if docker compose version >/dev/null 2>&1; then echo 'docker compose'; \
	elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose; fi)
endif
ifeq ($(strip $(COMPOSE)),)
COMPOSE = $(error neither `docker compose` nor `docker-compose` was found; install Docker Compose v2)
endif

.PHONY: help up down logs ps psql test clean

help: ## List the targets
	@echo 'Usage: make <target>'
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-7s %s\n", $$1, $$2 }' $(SELF)

up: ## Build the image, start db and app (REPLICAS=3: three apps behind nginx), wait until healthy, print the URL
	@$(SCALE_ENV) $(COMPOSE) up --build --detach --wait --wait-timeout $(UP_TIMEOUT_S) $(SCALE_ARGS) || { \
		echo "make up: the stack is not healthy after at most $(UP_TIMEOUT_S) s; the app's last log lines:" >&2; \
		$(SCALE_ENV) $(COMPOSE) ps --all >&2; $(SCALE_ENV) $(COMPOSE) logs --tail 30 app >&2; exit 1; }
	@hostport=$$($(SCALE_ENV) $(COMPOSE) port $(ENTRY) 2>/dev/null | sed 's/.*://'); \
	echo "wav2mp3 is up: http://localhost:$${hostport:-$(PORT)}"

down: ## Stop and remove the containers (replicas and proxy too); the database volume stays
	$(COMPOSE) down --remove-orphans

logs: ## Follow the logs (SERVICE=app or SERVICE=db for one)
	$(SCALE_ENV) $(COMPOSE) logs --follow --tail 100 $(SERVICE)

ps: ## Show the containers and their health
	$(SCALE_ENV) $(COMPOSE) ps

psql: ## Open psql in the db container, as the database's user, on its database
	$(COMPOSE) exec db sh -c 'exec psql -U "$$POSTGRES_USER" -d "$$POSTGRES_DB"'

test: ## Run the test suite locally (npm test; needs no Docker)
	npm test

clean: ## Stop everything and DELETE the database volume, after asking (CONFIRM=yes skips the question)
	@if [ "$(CONFIRM)" != yes ]; then \
		printf 'This deletes the database volume: every user and MP3 stored in it. Type yes to go on: '; \
		read answer; \
		if [ "$$answer" != yes ]; then echo 'Nothing removed.'; exit 0; fi; \
	fi; \
	echo '$(COMPOSE) down --volumes --remove-orphans'; \
	$(COMPOSE) down --volumes --remove-orphans
