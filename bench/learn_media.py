"""What `scripts/bench learn` measures of video beyond the first byte: the hub_nginx role's own
configuration run in front of the hub (nginx serving /media/ from disk, pages to gunicorn), and
the time from a seek to the middle of a video to its first decoded frame in headless Chromium.

nginx: the role's templates rendered with Jinja as tests/provisioning/test_https_nginx.py renders
them (plain-HTTP mode, as a village without its certificate yet), pointed at the hub's data
directory and gunicorn, on a free port; Debian's nginx runs it in the foreground as this user.

First frame: the lesson page in a phone-sized page, the video started (muted) so its metadata and
first frames are in; paused; then ``currentTime`` set to the middle and ``play()``; the time runs
until ``requestVideoFrameCallback`` reports a frame presented at or after the target (falls back
to the ``seeked`` + ``playing`` events when the browser gives no frame callback), and the frame is
drawn to a canvas to check real pixels were decoded (not black). Each try in a fresh browser
context, so nothing of the middle is in the media cache; the range request from the middle is
recorded with its status.
"""

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.harness.processes import free_port, http_status, wait_until
from tests.provisioning.render import render, role_vars

from .common import BenchError, say

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATES = {
    "sites-available/balai.conf": "etc/nginx/sites-available/balai.conf.j2",
    "balai/site.conf": "etc/nginx/balai/site.conf.j2",
    "balai/http.conf": "etc/nginx/balai/http.conf.j2",
    "balai/https.conf": "etc/nginx/balai/https.conf.j2",
}


class NginxSite:
    """The hub_nginx role's configuration in a temporary prefix, run in front of a hub."""

    def __init__(self, root: Path, *, data_dir: Path, app_port: int):
        if not Path(NGINX).exists():
            raise BenchError("nginx is not installed: install Debian's nginx (scripts/bench does)")
        self.root = root
        self.port = free_port()
        conf = root / "nginx"
        for sub in ("balai", "sites-available"):
            (conf / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("log", "temp"):
            (root / sub).mkdir(exist_ok=True)
        variables = role_vars(
            "hub_nginx",
            hub_nginx_conf_dir=str(conf),
            hub_nginx_log_dir=str(root / "log"),
            hub_nginx_data_dir=str(data_dir),
            hub_nginx_upstream=f"127.0.0.1:{app_port}",
            hub_nginx_listen_port=self.port,
            hub_nginx_server_names=["127.0.0.1"],
        )
        for target, template in TEMPLATES.items():
            (conf / target).write_text(render("hub_nginx", template, variables))
        script = root / "balai-tls-select"
        script.write_text(render("hub_nginx", "usr/local/sbin/balai-tls-select.j2", variables))
        script.chmod(0o755)
        temp = root / "temp"
        self.main_conf = root / "nginx.conf"
        # On a hub nginx's workers read the data directory as members of the app's group
        # (hub_nginx_app_group); here the files are the bench user's, so the workers run as
        # that user (as root nginx would otherwise drop to nobody and get 403s).
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        self.main_conf.write_text(
            f"{user}pid {root}/nginx.pid;\nerror_log {root}/log/error.log;\n"
            "worker_processes 1;\n"
            "events { worker_connections 1024; }\n"
            "http {\n    sendfile on;\n    tcp_nopush on;\n"
            f"    client_body_temp_path {temp}/body;\n    proxy_temp_path {temp}/proxy;\n"
            f"    fastcgi_temp_path {temp}/fastcgi;\n    uwsgi_temp_path {temp}/uwsgi;\n"
            f"    scgi_temp_path {temp}/scgi;\n"
            f"    include {conf}/sites-available/balai.conf;\n"
            "}\n"
        )
        base = [NGINX, "-p", str(root), "-c", str(self.main_conf), "-e", f"{root}/log/error.log"]
        # the role's script picks the plain-HTTP mode (no certificate) after nginx -t
        selected = subprocess.run(
            [str(script)],
            env={
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                "BALAI_TLS_NGINX_TEST": " ".join([*base, "-t", "-q"]),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        if selected.returncode != 0:
            raise BenchError(f"balai-tls-select failed: {selected.stderr[-1000:]}")
        self.process = subprocess.Popen(
            [*base, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(root / "log" / "stderr.log").open("ab"),
            start_new_session=True,
        )
        if not wait_until(
            lambda: self.process.poll() is not None or http_status(self.base + "/healthz") == 200,
            30,
            0.1,
        ):
            self.stop()
            raise BenchError(f"nginx did not answer; see {root}/log/error.log")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish the open answers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


FIRST_FRAME_JS = """async (target) => {
  const v = document.querySelector('video');
  if (!v) return {error: 'no <video> on the page'};
  v.muted = true;
  await v.play();
  const hasRvfc = 'requestVideoFrameCallback' in HTMLVideoElement.prototype;
  if (hasRvfc) await new Promise(r => v.requestVideoFrameCallback(() => r()));
  v.pause();
  const t0 = performance.now();
  let how;
  const frame = hasRvfc
    ? new Promise(resolve => {
        const wait = (now, meta) => meta.mediaTime + 0.5 >= target
          ? resolve(meta.mediaTime) : v.requestVideoFrameCallback(wait);
        v.requestVideoFrameCallback(wait);
      })
    : Promise.all([
        new Promise(r => v.addEventListener('seeked', r, {once: true})),
        new Promise(r => v.addEventListener('playing', r, {once: true})),
      ]).then(() => v.currentTime);
  how = hasRvfc ? 'requestVideoFrameCallback' : 'seeked+playing';
  v.currentTime = target;
  v.play();
  const mediaTime = await Promise.race([frame, new Promise(r => setTimeout(() => r(null), 20000))]);
  const ms = performance.now() - t0;
  const c = document.createElement('canvas');
  c.width = 64; c.height = 48;
  const ctx = c.getContext('2d');
  ctx.drawImage(v, 0, 0, 64, 48);
  const d = ctx.getImageData(0, 0, 64, 48).data;
  let lit = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) lit++;
  v.pause();
  return {ms, mediaTime, how, lit, pixels: d.length / 4, duration: v.duration,
          codec: v.canPlayType('video/mp4; codecs="avc1.4D401E, mp4a.40.2"')};
}"""


def first_frame(base: str, lesson: str, tries: int) -> dict:
    """Time from a seek to the middle to the first decoded frame there, ``tries`` fresh
    contexts; the worst and the median, and the range requests seen."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.harness.chromium import PHONE, chromium

    results = []
    with chromium("--autoplay-policy=no-user-gesture-required") as browser:
        for i in range(tries):
            context = browser.new_context(viewport=PHONE)
            page = context.new_page()
            ranges = []

            def seen(response, ranges=ranges):
                if "/media/" in response.url:
                    ranges.append((response.request.headers.get("range", ""), response.status))

            page.on("response", seen)
            page.goto(base + lesson, wait_until="load")
            duration = page.evaluate(
                "() => new Promise(r => { const v = document.querySelector('video');"
                " v.preload = 'metadata'; if (v.readyState >= 1) r(v.duration);"
                " v.addEventListener('loadedmetadata', () => r(v.duration), {once: true});"
                " v.load(); })"
            )
            target = duration / 2 + i * 7  # a new spot each try: nothing buffered there
            try:
                answer = page.evaluate(FIRST_FRAME_JS, target)
            except PlaywrightError as exc:
                raise BenchError(f"the player failed ({ranges[-3:]}): {exc}") from exc
            answer["target"] = target
            answer["ranges"] = ranges[-4:]
            context.close()
            if answer.get("error") or answer.get("mediaTime") is None:
                raise BenchError(f"no frame after the seek: {answer}")
            results.append(answer)
            time.sleep(0.2)
    times = sorted(r["ms"] for r in results)
    return {
        "max_ms": times[-1],
        "median_ms": times[len(times) // 2],
        "tries": results,
        "decoded": all(r["lit"] > r["pixels"] // 4 for r in results),
        "how": results[0]["how"],
        "codec": results[0]["codec"],
        "middle_206": any(
            status == 206 and rng.startswith("bytes=") and rng != "bytes=0-"
            for r in results
            for rng, status in r["ranges"]
        ),
    }


def say_frame(label: str, frame: dict) -> None:
    say(
        f"{label}: first frame after a seek to the middle, worst {frame['max_ms']:.0f} ms, "
        f"median {frame['median_ms']:.0f} ms ({frame['how']}, H.264 {frame['codec']}, "
        f"decoded: {frame['decoded']}, middle range 206: {frame['middle_206']})"
    )
