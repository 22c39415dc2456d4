"""The baseline: a minimal slack_bolt Socket Mode app that acks Events API envelopes.

Usage: bolt_app.py BASE_URL
Prints READY once connected. Acks every app_mention event (Bolt acks events itself).
"""
import sys
import time

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

base_url = sys.argv[1]
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
