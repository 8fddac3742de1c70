# Runs the service and its PostgreSQL with Docker Compose, and the test suite locally. `make` lists the targets.

SELF := $(lastword $(MAKEFILE_LIST))
.DEFAULT_GOAL := help

# .env, when present, sets the published port for the URL printed by `make up`. Nothing is exported from here:
# compose reads .env itself (and parses quotes, which make would keep), and `make test` must see the same
# environment as `npm test`.
-include .env
PORT := $(or $(strip $(PORT)),8000)

# Seconds `make up` waits for the app container to report healthy.
UP_TIMEOUT_S ?= 120
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

up: ## Build the image, start db and app in the background, wait until the app is healthy
	$(COMPOSE) up --build --detach
	@cid=$$($(COMPOSE) ps --all --quiet app); \
	if [ -z "$$cid" ]; then echo 'make up: no app container' >&2; exit 1; fi; \
	printf 'Waiting for the app to be healthy'; \
	waited=0; \
	while :; do \
		state=$$(docker inspect --format '{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}/{{.RestartCount}}' "$$cid"); \
		case "$$state" in \
			running/healthy/* | running/none/*) echo; break ;; \
			*/unhealthy/* | exited/* | dead/* | restarting/* | */*/[1-9]*) \
				echo; echo "make up: the app is not healthy ($$state); its last log lines:" >&2; \
				$(COMPOSE) logs --tail 30 app >&2; exit 1 ;; \
		esac; \
		if [ $$waited -ge $(UP_TIMEOUT_S) ]; then \
			echo; echo "make up: the app is not healthy after $(UP_TIMEOUT_S) s ($$state); see make logs" >&2; exit 1; \
		fi; \
		printf .; sleep 2; waited=$$((waited + 2)); \
	done; \
	hostport=$$($(COMPOSE) port app 8000 2>/dev/null | sed 's/.*://'); \
	echo "wav2mp3 is up: http://localhost:$${hostport:-$(PORT)}"

down: ## Stop and remove the containers; the database volume stays
	$(COMPOSE) down

logs: ## Follow the logs (SERVICE=app or SERVICE=db for one)
	$(COMPOSE) logs --follow --tail 100 $(SERVICE)

ps: ## Show the containers and their health
	$(COMPOSE) ps

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
