"""The `socialpulse` command: what operators and the Makefile call."""

from __future__ import annotations

import os
import subprocess
import sys
from enum import StrEnum
from typing import Annotated

import typer

from generator.cli import app as generate_app
from socialpulse.settings import REPO_ROOT, get_settings

app = typer.Typer(
    help="SocialPulse: social-network ELT on MinIO, Airflow, Postgres, ClickHouse, Neo4j.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(
    help="Install, start, stop and inspect the native services.", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")


@stack_app.callback()
def stack_options(
    test_stack: Annotated[
        bool,
        typer.Option(
            "--test-stack",
            help="Act on the test suite's own stack (ports + SOCIALPULSE_TEST_PORT_OFFSET).",
        ),
    ] = False,
) -> None:
    if test_stack:
        from socialpulse.settings import test_stack_environment

        os.environ.update(test_stack_environment())
        get_settings.cache_clear()


ServiceNames = Annotated[
    list[str] | None, typer.Argument(help="Services (default: all, in dependency order).")
]


def _selected(names: list[str] | None) -> list[str]:
    from infra.stack.registry import SERVICE_CLASSES

    unknown = set(names or []) - set(SERVICE_CLASSES)
    if unknown:
        raise typer.BadParameter(f"unknown service(s): {', '.join(sorted(unknown))}")
    return [n for n in SERVICE_CLASSES if not names or n in names]


@app.command("init-env")
def init_env_command() -> None:
    """Create .env from .env.example with random secrets (no-op if .env exists)."""
    from socialpulse.envfile import init_env

    written = init_env(REPO_ROOT / ".env.example", REPO_ROOT / ".env")
    typer.echo(".env written with fresh secrets" if written else ".env exists; left as is")


@stack_app.command("install")
def stack_install(services: ServiceNames = None) -> None:
    """Install (or reuse from the cache) each service."""
    from infra.stack.registry import service

    for name in _selected(services):
        typer.echo(f"installing {name} ...")
        service(name).install()


@stack_app.command("up")
def stack_up(services: ServiceNames = None) -> None:
    """Start each service (a running one is reused) and wait until it is healthy."""
    from infra.stack.base import StackError
    from infra.stack.registry import service

    for name in _selected(services):
        typer.echo(f"starting {name} ...")
        try:
            service(name).start()
        except StackError as exc:
            typer.echo(f"ERROR: {exc}", err=True)
            raise typer.Exit(1) from exc
    stack_status()


@stack_app.command("down")
def stack_down(services: ServiceNames = None) -> None:
    """Stop each service gracefully (reverse dependency order)."""
    from infra.stack.registry import service

    for name in reversed(_selected(services)):
        typer.echo(f"stopping {name} ...")
        service(name).stop()


#: Services whose foreground form is ours (the others use official images in compose).
_FOREGROUND = ("airflow", "generator", "dbt-docs")


@stack_app.command("serve")
def stack_serve(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(_FOREGROUND)}")],
) -> None:
    """Run a service in the foreground (how docker-compose's containers start it)."""
    from infra.stack.registry import service

    if name not in _FOREGROUND:
        raise typer.BadParameter(
            f"only {', '.join(_FOREGROUND)} run in the foreground; others use official images"
        )
    svc = service(name)
    svc.serve_foreground()  # type: ignore[attr-defined]


@stack_app.command("health")
def stack_health(name: Annotated[str, typer.Argument(help="A service name")]) -> None:
    """Exit 0 when the service is healthy, 1 otherwise (compose healthchecks)."""
    from infra.stack.registry import service

    _selected([name])
    raise typer.Exit(0 if service(name).health() else 1)


@stack_app.command("status")
def stack_status() -> None:
    """One row per service: name, version, URL, healthy, pid."""
    from infra.stack.registry import SERVICE_CLASSES, service
    from socialpulse.query import format_table

    rows: list[tuple[str, str, str, str, int | str]] = []
    all_healthy = True
    for name in SERVICE_CLASSES:
        try:
            st = service(name).status()
        except Exception as exc:  # a service module that cannot load is reported, not fatal
            all_healthy = False
            rows.append((name, f"unavailable: {exc}", "", "DOWN", ""))
            continue
        all_healthy &= st.healthy
        rows.append(
            (st.name, st.version, st.url, "healthy" if st.healthy else "DOWN", st.pid or "")
        )
    typer.echo(format_table(["service", "version", "url", "health", "pid"], rows), nl=False)
    s = get_settings()
    typer.echo(
        f"Airflow UI login: {s.airflow_admin_user} / {s.airflow_admin_password.get_secret_value()}"
        f"  ({s.airflow_url})"
    )
    typer.echo(f"MinIO console: http://{s.minio_host}:{s.minio_console_port} ({s.minio_root_user})")
    if not all_healthy:
        raise typer.Exit(3)


@app.command("demo")
def demo_command() -> None:
    """Start the stack and run the main job end to end (what `make demo` calls)."""
    from socialpulse.demo import run_demo

    run_demo(get_settings())
    stack_status()


class Engine(StrEnum):
    postgres = "postgres"
    clickhouse = "clickhouse"


@app.command("query")
def query_command(
    engine: Annotated[Engine, typer.Argument(help="postgres or clickhouse")],
    sql: Annotated[str, typer.Argument(help="One SQL statement")],
    csv: Annotated[bool, typer.Option("--csv", help="CSV with a header row")] = False,
    database: Annotated[str | None, typer.Option(help="Database (default: warehouse)")] = None,
) -> None:
    """Run a query and print an aligned table (or CSV)."""
    from socialpulse.query import format_csv, format_table, query_clickhouse, query_postgres

    run_query = query_postgres if engine is Engine.postgres else query_clickhouse
    try:
        columns, rows = run_query(get_settings(), sql, database)
    except Exception as exc:  # any driver error: one clear line, non-zero exit
        typer.echo(f"ERROR ({engine.value}): {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo((format_csv if csv else format_table)(columns, rows), nl=False)


@app.command(
    "airflow",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def airflow_command(ctx: typer.Context) -> None:
    """Run an `airflow` CLI command with the project's Airflow configuration."""
    from infra.stack.airflow import AIRFLOW_BIN, airflow_env

    env = {**os.environ, **airflow_env(get_settings())}
    proc = subprocess.run([str(AIRFLOW_BIN), *ctx.args], env=env, check=False)
    raise typer.Exit(proc.returncode)


app.add_typer(generate_app, name="generate", help="Generate the social network's events.")

if __name__ == "__main__":
    sys.exit(app())
