"""`nezlam bot`: the Telegram bot without a public address (`run`: long polling, and the
bot's outbox sent from here), registering its webhook and commands (`setup`), and the chats a
region's alerts go to (`alerts`)."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

import typer

from nezlam.commands.common import console, refuse, settings

app = typer.Typer(help="The Telegram bot: run it, register it.", no_args_is_help=True)
log = logging.getLogger(__name__)

COMMANDS = {
    "uk": [
        ("start", "Почати: найближчі відчинені пункти"),
        ("lang", "Мова / Language"),
        ("follows", "Мої підписки"),
        ("points", "Мої пункти (для операторів)"),
        ("alerts", "Сповіщення координатора сюди"),
        ("broadcast", "Написати підписникам області"),
        ("stop", "Забути цей чат"),
        ("help", "Як питати"),
    ],
    "en": [
        ("start", "Start: the nearest open points"),
        ("lang", "Language / Мова"),
        ("follows", "What I follow"),
        ("points", "My points (for operators)"),
        ("alerts", "A coordinator's notifications here"),
        ("broadcast", "Write to a region's followers"),
        ("stop", "Forget this chat"),
        ("help", "How to ask"),
    ],
}


@app.command("run")
def run(
    poll: int = typer.Option(30, "--poll-seconds", min=1, max=50, help="long polling's wait"),
) -> None:
    """Answer the bot's chats by long polling (for a machine Telegram cannot reach), and send
    its outbox (alerts, follows, broadcasts). Stops on Ctrl-C or SIGTERM."""
    from nezlam.channels.dispatcher import Dispatcher
    from nezlam.web.plumbing.state import AppState

    configured = settings()
    if configured.telegram is None:
        raise refuse("set NEZLAM_TELEGRAM_TOKEN to the token @BotFather gave the bot")
    state = AppState.build(configured)
    state.sync.load_all()
    state.sync.start()
    channel, bot = state.telegram, state.telegram_bot
    assert channel is not None and bot is not None
    dispatcher = Dispatcher(state.db, state.clock, channels=[channel])
    dispatcher.start()
    stopping = threading.Event()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    channel.api.run(channel.api.bot.delete_webhook())  # Telegram refuses polling while one is set
    console.print("[green]polling Telegram[/green] (Ctrl-C to stop)")
    try:
        poll_until(stopping, channel.api, bot, poll)
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.stop()
        state.sync.stop()
        channel.api.close()


def poll_until(stopping: threading.Event, api: object, bot: object, wait: int) -> None:
    """Each update once, in order: the next poll's offset tells Telegram it was answered."""
    from nezlam.channels.telegram_api import BotApi
    from nezlam.channels.telegram_bot import TelegramBot

    assert isinstance(api, BotApi) and isinstance(bot, TelegramBot)
    offset: int | None = None
    while not stopping.is_set():
        try:
            updates = api.updates(offset, wait)
        except Exception as failure:  # the network: wait a little and poll again
            log.warning("polling Telegram failed: %s", failure)
            stopping.wait(5)
            continue
        for update in updates:
            for action in bot.handle(update):
                api.act(action)
            offset = update.update_id + 1


@app.command("setup")
def setup() -> None:
    """Register the webhook (NEZLAM_PUBLIC_URL + /api/v1/telegram/webhook, with
    NEZLAM_TELEGRAM_WEBHOOK_SECRET) and the bot's commands in Ukrainian and English."""
    from nezlam.channels.telegram_api import ALLOWED_UPDATES, BotApi

    configured = settings()
    bot = configured.telegram
    if bot is None:
        raise refuse("set NEZLAM_TELEGRAM_TOKEN to the token @BotFather gave the bot")
    if configured.public_url is None or bot.webhook_secret is None:
        raise refuse(
            "a webhook needs NEZLAM_PUBLIC_URL (https, reachable by Telegram) and "
            "NEZLAM_TELEGRAM_WEBHOOK_SECRET; without them, run `nezlam bot run`"
        )
    api = BotApi(bot.token, bot.api_url)
    import telegram

    url = f"{configured.public_url}/api/v1/telegram/webhook"
    try:
        me = api.run(api.bot.get_me())
        api.run(
            api.bot.set_webhook(
                url, secret_token=bot.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
        )
        for lang, commands in COMMANDS.items():
            listed = [telegram.BotCommand(name, about) for name, about in commands]
            api.run(api.bot.set_my_commands(listed, language_code=None if lang == "uk" else lang))
    except telegram.error.TelegramError as failure:
        raise refuse(f"Telegram refused: {failure}") from failure
    finally:
        api.close()
    console.print(f"@{me.username}: webhook {url}, commands in Ukrainian and English")


@app.command("alerts")
def alerts(
    chat: str = typer.Argument(..., help="the chat id (-100… for a channel or group)"),
    region: str = typer.Option(None, "--region", help="only this region's points"),
    lang: str = typer.Option("uk", "--lang", help="uk or en"),
    remove: bool = typer.Option(False, "--remove", help="stop sending alerts to CHAT"),
) -> None:
    """Send the coordinators' notifications (full, closed, no power, low fuel) to CHAT: a
    region's channel or group, with the bot in it."""
    from nezlam.commands.common import database
    from nezlam.store import alert_chats

    with database().write() as session:
        if remove:
            alert_chats.remove(session, "telegram", chat)
        else:
            alert_chats.add(session, "telegram", chat, region, lang, None, datetime.now(UTC))
    console.print(f"{chat}: {'no more alerts' if remove else 'alerts ' + (region or 'everywhere')}")
