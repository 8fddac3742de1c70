#!/usr/bin/env python3
"""Sends one multipart WAV upload with Python's standard client (urllib.request) or python-requests, streaming the
file from disk as a person's script would, and prints what came back as one JSON line: the status and body, or the
exception the client raised (a reset or broken pipe shows up here).

usage: upload.py urllib|requests URL FILE [--field NAME=VALUE]... [--header NAME:VALUE]... [--raw 1]
--raw sends the file itself as the body (Content-Type: audio/wav) instead of a multipart form.
"""
import json
import os
import sys
import uuid

CHUNK = 1 << 20


def file_chunks(path):
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            yield block


def multipart(fields, path):
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{os.path.basename(path)}"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks():
        yield head
        yield from file_chunks(path)
        yield tail

    length = len(head) + os.path.getsize(path) + len(tail)
    return f"multipart/form-data; boundary={boundary}", length, chunks()


def raw(path):
    return "audio/wav", os.path.getsize(path), file_chunks(path)


class Sized:
    """An iterable that also tells its length, as requests wants for a streamed body with Content-Length."""

    def __init__(self, chunks, length):
        self.chunks, self.length = chunks, length

    def __iter__(self):
        return iter(self.chunks)

    def __len__(self):
        return self.length


def main():
    client, url, path = sys.argv[1:4]
    fields, headers, as_raw = [], {}, False
    args = sys.argv[4:]
    for flag, value in zip(args[::2], args[1::2]):
        if flag == "--field":
            fields.append(tuple(value.split("=", 1)))
        elif flag == "--header":
            name, _, v = value.partition(":")
            headers[name.strip()] = v.strip()
        elif flag == "--raw":
            as_raw = value == "1"
    content_type, length, body = raw(path) if as_raw else multipart(fields, path)
    headers.update({"Content-Type": content_type, "Content-Length": str(length)})
    try:
        if client == "urllib":
            import urllib.error
            import urllib.request

            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    status, text = response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                status, text = error.code, error.read().decode()
        elif client == "requests":
            import requests

            # requests' streaming upload: an iterable with a length is sent with Content-Length, not chunked.
            response = requests.post(url, data=Sized(body, length), headers=headers, timeout=600)
            status, text = response.status_code, response.text
        else:
            raise SystemExit(f"unknown client {client}")
        print(json.dumps({"status": status, "body": text}))
    except Exception as error:  # the point is to report what the client saw, whatever it was
        print(json.dumps({"status": None, "error": f"{type(error).__name__}: {error}"}))


main()
