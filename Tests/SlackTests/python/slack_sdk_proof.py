"""Drives Python's official slack_sdk against the in-repo Slack fake, as an independent client.

Usage: slack_sdk_proof.py BASE_URL
Prints one line per event on stdout (the Swift test reads them):
  READY / CONNECTED / ENVELOPE <type> <text> / POSTED <ts> / MEMBERS <n> / DONE
The Swift side sends envelopes, a refresh_requested disconnect, and finally a "quit" command.
"""
import sys
import threading
import time

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse


def say(line):
    print(line, flush=True)


def main():
    base_url = sys.argv[1]
    web = WebClient(base_url=base_url, token="xoxb-python-proof")
    auth = web.auth_test()
    assert auth["ok"] and auth["user_id"], auth
    members = []
    for page in web.conversations_members(channel="C0SECOPS1", limit=2):
        members.extend(page["members"])
    say(f"MEMBERS {len(members)}")

    done = threading.Event()
    client = SocketModeClient(app_token="xapp-1-python-proof", web_client=WebClient(base_url=base_url),
                              ping_interval=2, auto_reconnect_enabled=True)

    def on_request(client: SocketModeClient, request: SocketModeRequest):
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        text = request.payload.get("text", "")
        say(f"ENVELOPE {request.type} {text}")
        if request.type == "slash_commands":
            posted = web.chat_postMessage(channel=request.payload["channel_id"], text=f"python saw: {text}")
            say(f"POSTED {posted['ts']}")
        if text == "quit":
            done.set()

    client.socket_mode_request_listeners.append(on_request)
    client.connect()
    deadline = time.time() + 30
    while not client.is_connected() and time.time() < deadline:
        time.sleep(0.05)
    say("CONNECTED" if client.is_connected() else "NOT-CONNECTED")
    done.wait(timeout=30)
    client.close()
    say("DONE")


if __name__ == "__main__":
    main()
