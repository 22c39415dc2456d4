"""The baseline: a minimal slack_bolt Socket Mode app that acks Events API envelopes.

Usage: bolt_app.py BASE_URL
Prints READY once connected. Acks every app_mention event (Bolt acks events itself).
"""
import os
import signal
import sys
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

base_url = sys.argv[1]
parent = os.getppid()
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))


def exit_with_parent():
    """Bolt's socket threads keep the process alive; leave as soon as the benchmark does."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
app = App(client=WebClient(base_url=base_url, token="xoxb-bench"), token_verification_enabled=False)


@app.event("app_mention")
def on_mention(event):
    pass


handler = SocketModeHandler(app, app_token="xapp-1-bench")
handler.client.web_client = WebClient(base_url=base_url, token="xapp-1-bench")
handler.connect()
while not handler.client.is_connected():
    time.sleep(0.05)
print("READY", flush=True)
while True:
    time.sleep(1)
