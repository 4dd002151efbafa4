"""An SSH server on 127.0.0.1 for one test, so that Ansible reaches this host over a real ssh connection.

It runs each command it is sent with /bin/sh as the test's own user, and lets in only a key made for the
test: no system sshd is installed or started, and nothing listens beyond the loopback address or outlives
the test.
"""

import asyncio
import contextlib
import threading

import asyncssh

CHUNK = 65536


async def _copy(reader, write, close):
    """Copy one stream to another until its end, then close the far side."""
    while True:
        data = await reader.read(CHUNK)
        if not data:
            break
        write(data)
    close()


async def _run_command(process):
    command = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", process.command or "exec /bin/sh",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    def close_stdin():
        command.stdin.close()

    def write_stdin(data):
        command.stdin.write(data)

    forward_stdin = asyncio.ensure_future(_copy(process.stdin, write_stdin, close_stdin))
    # Every byte of output reaches the client before the exit status does.
    await asyncio.gather(_copy(command.stdout, process.stdout.write, lambda: None),
                         _copy(command.stderr, process.stderr.write, lambda: None))
    status = await command.wait()
    forward_stdin.cancel()
    process.exit(status)


class _Server:
    def __init__(self, directory, user):
        self.directory = directory
        self.user = user
        self.loop = asyncio.new_event_loop()
        self.listener = None
        self.port = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self):
        host_key = asyncssh.generate_private_key("ssh-ed25519")
        client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key_path = self.directory / "client_key"
        client_key.write_private_key(str(self.client_key_path))
        self.client_key_path.chmod(0o600)
        self.thread.start()
        authorized = asyncssh.import_authorized_keys(client_key.export_public_key().decode())

        async def listen():
            return await asyncssh.listen("127.0.0.1", 0, server_host_keys=[host_key],
                                         authorized_client_keys=authorized, process_factory=_run_command,
                                         encoding=None, allow_scp=True, sftp_factory=True)

        self.listener = asyncio.run_coroutine_threadsafe(listen(), self.loop).result(timeout=30)
        self.port = self.listener.get_port()
        self.known_hosts_path = self.directory / "known_hosts"
        self.known_hosts_path.write_text("[127.0.0.1]:%d %s" % (
            self.port, host_key.export_public_key().decode()))

    def stop(self):
        if self.listener is not None:
            async def close():
                self.listener.close()
                await self.listener.wait_closed()

            asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=30)
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)

    def host_vars(self):
        """Inventory variables for Ansible's ssh connection to this server (no shared control socket)."""
        return {
            "ansible_connection": "ssh",
            "ansible_host": "127.0.0.1",
            "ansible_port": self.port,
            "ansible_user": self.user,
            "ansible_ssh_private_key_file": str(self.client_key_path),
            "ansible_ssh_args": "-o ControlMaster=no",
            "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"
                                       % self.known_hosts_path,
            # The far end is this machine: its Python is the one running the playbook.
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        }


@contextlib.contextmanager
def ssh_server(directory, user="root"):
    """Serve SSH on 127.0.0.1 until the block ends; yields the server (``port``, ``host_vars()``)."""
    server = _Server(directory, user)
    try:
        server.start()
        yield server
    finally:
        server.stop()
