"""The `parley` command: serve, migrate, and manage accounts from a shell."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from parley import db, logs, migrations
from parley.accounts import service as accounts
from parley.accounts.schemas import UserCreate
from parley.errors import ParleyError
from parley.settings import Settings

T = TypeVar("T")


def _run_with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = db.create_engine(settings.effective_database_url)
        try:
            if settings.auto_migrate:
                await migrations.upgrade(engine)
            async with db.session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@click.group()
@click.pass_context
def cli(context: click.Context) -> None:
    """Parley, self-hosted web conferencing."""
    settings = Settings()
    logs.configure(log_format=settings.log_format, level=settings.log_level)
    context.obj = settings


@cli.command()
@click.option("--host", help="Address to listen on (PARLEY_HOST).")
@click.option("--port", type=int, help="Port to listen on (PARLEY_PORT).")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve Parley over HTTP, applying pending database migrations first."""
    import uvicorn

    from parley.app import create_app
    from parley.serving import bounded_head_protocol

    settings = settings.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    app = create_app(settings)
    click.echo(f"Parley is starting: open {settings.effective_public_url}/ in your browser.")
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        http=bounded_head_protocol(
            max_head_bytes=settings.max_header_bytes,
            head_timeout_seconds=settings.header_timeout_seconds,
        ),
        ws=settings.websocket_implementation,
        ws_max_size=1 << 20,
        # Compression keeps a zlib state per socket (over 100 KiB each) for messages that
        # are mostly a few hundred bytes: not worth it (bench/meeting_hub.py).
        ws_per_message_deflate=False,
    )


@cli.command()
@click.option(
    "--concurrency", type=int, help="Jobs run at once (PARLEY_JOBS_CONCURRENCY).", default=None
)
@click.pass_obj
def worker(settings: Settings, concurrency: int | None) -> None:
    """Run durable jobs (emails, reminders…) until stopped; start as many as needed."""
    import signal

    from parley.bus import create_bus
    from parley.job_kinds import handlers
    from parley.jobs.worker import JobContext, SystemClock, Worker
    from parley.providers.http import create_client as create_http_client
    from parley.providers.service import ProviderRuntime

    async def run() -> None:
        engine = db.create_engine(settings.effective_database_url)
        bus = create_bus(settings.bus_url)
        await bus.connect()
        database = db.session_factory(engine)
        http = create_http_client(timeout_seconds=settings.provider_timeout_seconds)
        providers = ProviderRuntime(
            http=http,
            database=database,
            bus=bus,
            public_url=settings.effective_public_url,
            secret=settings.secret(),
        )
        context = JobContext(
            database=database,
            bus=bus,
            settings=settings,
            clock=SystemClock(),
            providers=providers,
        )
        jobs = Worker(
            context,
            handlers(),
            concurrency=concurrency or settings.jobs_concurrency,
            poll_seconds=settings.jobs_poll_seconds,
            lease_seconds=settings.jobs_lease_seconds,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        await jobs.start()
        click.echo(f"Parley worker {jobs.name} is running jobs.")
        try:
            await stop.wait()
        finally:
            await jobs.stop()
            await http.aclose()
            await bus.disconnect()
            await engine.dispose()

    _run_fast(run())


def _run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` on uvloop, as uvicorn runs the web process, where it is installed (it comes
    with uvicorn's standard extras, except on Windows); else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


@cli.command("janus-config")
@click.option(
    "--out", "folder", type=click.Path(path_type=Path), required=True, help="Folder to write."
)
@click.option(
    "--api-ip", default="127.0.0.1", show_default=True, help="HTTP and Admin API address."
)
@click.option("--api-port", type=int, default=8088, show_default=True)
@click.option("--admin-port", type=int, default=7088, show_default=True)
@click.option(
    "--ws-ip", default="127.0.0.1", show_default=True, help="Browsers' WebSocket address."
)
@click.option("--ws-port", type=int, default=8188, show_default=True)
@click.option("--rtp-ports", default="20000-40000", show_default=True)
@click.option("--ice-enforce", default="", help="Interfaces ICE may use (comma-separated).")
@click.option("--nat-1-1", default="", help="Public address, behind a 1:1 NAT.")
@click.option("--name", default="parley-janus", show_default=True)
@click.pass_obj
def janus_config(
    settings: Settings,
    folder: Path,
    api_ip: str,
    api_port: int,
    admin_port: int,
    ws_ip: str,
    ws_port: int,
    rtp_ports: str,
    ice_enforce: str,
    nat_1_1: str,
    name: str,
) -> None:
    """Write a Janus configuration (VideoRoom, token auth) from the PARLEY_JANUS_* secrets."""
    from parley.media.janus_config import Layout, write_config

    layout = Layout(
        api_ip=api_ip,
        api_port=api_port,
        admin_port=admin_port,
        ws_ip=ws_ip,
        ws_port=ws_port,
        rtp_ports=rtp_ports,
        ice_enforce=ice_enforce,
        nat_1_1=nat_1_1,
        name=name,
    )
    try:
        written = write_config(folder, settings, layout)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Janus configuration written to {written}; start it with: janus -F {written}")


@cli.group(name="db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command()
@click.pass_obj
def upgrade(settings: Settings) -> None:
    """Apply every pending migration."""

    async def run() -> None:
        engine = db.create_engine(settings.effective_database_url)
        try:
            await migrations.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    click.echo("The database is up to date.")


@db_group.command()
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.pass_obj
def revision(settings: Settings, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""

    async def run() -> None:
        engine = db.create_engine(settings.effective_database_url)
        try:
            await migrations.upgrade(engine)
            await migrations.revision(engine, message)
        finally:
            await engine.dispose()

    asyncio.run(run())


@cli.group()
def user() -> None:
    """Accounts."""


@user.command(name="create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Display name.")
@click.option("--password", help="Asked for when left out.")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.pass_obj
def create_user(
    settings: Settings, email: str, name: str, password: str | None, admin: bool
) -> None:
    """Create an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(email=email, display_name=name, password=password, is_admin=admin)
    except ValidationError as exc:
        for error in exc.errors():
            click.echo(f"error: {'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        sys.exit(2)

    async def work(session: AsyncSession) -> str:
        created = await accounts.create(
            db=session,
            email=data.email,
            display_name=data.display_name,
            password=data.password,
            is_admin=data.is_admin,
        )
        return created.email

    try:
        created_email = _run_with_db(settings, work)
    except ParleyError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"Created {'administrator' if admin else 'member'} {created_email}.")


@cli.group()
def token() -> None:
    """Personal API tokens."""


@token.command(name="create")
@click.option("--email", required=True, help="Whose token it is.")
@click.option("--name", default="command line", show_default=True, help="What it is for.")
@click.pass_obj
def create_token(settings: Settings, email: str, name: str) -> None:
    """Create a personal API token and print it (shown this once)."""

    async def work(session: AsyncSession) -> str | None:
        owner = await accounts.get_by_email(db=session, email=email)
        if owner is None:
            return None
        _row, value = await accounts.create_api_token(db=session, user=owner, name=name)
        return value

    value = _run_with_db(settings, work)
    if value is None:
        click.echo(f"error: no account with the email address {email}", err=True)
        sys.exit(1)
    click.echo(value)


def main() -> None:
    cli(prog_name="parley")
