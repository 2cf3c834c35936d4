"""The Django-side steps of the benches, as functions run in a hub's own environment (its data
dir, its settings): ``python -m bench.steps NAME 'JSON kwargs'`` prints the result as JSON on its
last line (:func:`bench.hub.run_step`), or in a node's agent process (``agent("call", ...)``).

Django is set up by the runner (or the agent) before a step runs; the steps import the project's
modules inside, so importing this module needs no settings.
"""

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_ORDER_PRODUCT = "bench-pesanan"


def _percentile(values: list[float], p: float) -> float:
    from .common import percentile

    return percentile(values, p)


# --------------------------------------------------------------------------------------------
# bench pages


def render_pages(
    paths: list[str], iterations: int, warmup: int, cold_paths: tuple[str, ...] = ()
) -> dict:
    """Time full requests through the WSGI stack with the page cache emptied before each one.

    This is exactly what a visitor pays on a cache miss: every middleware (gzip included, as a
    phone accepts it), Wagtail's routing, the queries and the templates.
    CPU time is reported beside wall time: on a machine shared with other work it shows what
    the render itself costs.

    What only publishing changes is remembered per page-cache generation
    (``hub.core.pagecache.per_generation``), so a miss in the same generation (an entry timed
    out, another language) does not pay for it. Each of ``cold_paths`` is also timed right
    after an invalidation, as after a publish: the generation moves and every remembered value
    is made again (``cold`` in the result; the invalidation itself is not timed).
    """
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import hub.wsgi  # noqa: F401 - the application gunicorn serves, with its settings
    from hub.core import pagecache

    page_cache = caches["pages"] if "pages" in settings.CACHES else None
    client = Client(HTTP_HOST="127.0.0.1")
    out = {"debug": settings.DEBUG, "settings": settings.SETTINGS_MODULE, "pages": {}}

    def one(path: str) -> tuple[float, float]:
        if page_cache is not None:
            page_cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
        cpu = (time.process_time() - started_cpu) * 1000
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or response.headers.get("X-Balai-Cache") == "hit":
            raise SystemExit(f"{path}: {response.status_code} {response.headers}")
        return elapsed, cpu

    # The pages take turns in blocks, so a slow spell of the machine weighs on all of them.
    blocks = 4
    samples: dict[str, list[list[tuple[float, float]]]] = {path: [] for path in paths}
    for path in paths:
        for _ in range(warmup):
            one(path)
    for block in range(blocks):
        size = iterations // blocks + (1 if block < iterations % blocks else 0)
        for path in paths:
            samples[path].append([one(path) for _ in range(size)])
    for path in paths:
        flat = [sample for block in samples[path] for sample in block]
        times = [wall for wall, _ in flat]
        if page_cache is not None:
            page_cache.clear()
        with CaptureQueriesContext(connection) as queries:
            one(path)
        out["pages"][path] = {
            "iterations": len(flat),
            "median_ms": statistics.median(times),
            "p95_ms": _percentile(times, 95),
            "min_ms": min(times),
            "cpu_median_ms": statistics.median(cpu for _, cpu in flat),
            "block_medians_ms": [statistics.median(w for w, _ in b) for b in samples[path]],
            "queries": len(queries),
        }
    out["cold"] = {}
    for path in cold_paths:
        flat = []
        for _ in range(max(iterations // 4, 10)):
            pagecache.invalidate()
            flat.append(one(path))
        pagecache.invalidate()
        with CaptureQueriesContext(connection) as queries:
            one(path)
        times = [wall for wall, _ in flat]
        out["cold"][path] = {
            "iterations": len(flat),
            "median_ms": statistics.median(times),
            "p95_ms": _percentile(times, 95),
            "min_ms": min(times),
            "cpu_median_ms": statistics.median(cpu for _, cpu in flat),
            "queries": len(queries),
        }
    return out


def soak_users_create(names: list[str]) -> list[str]:
    """Admin accounts for the soak's clients; the password comes in ``BENCH_PASSWORD`` (never on
    a command line)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    for name in names:
        user, _ = user_model.objects.get_or_create(username=name)
        user.is_staff = user.is_superuser = True
        user.set_password(os.environ["BENCH_PASSWORD"])
        user.save()
    return names


def soak_state() -> dict:
    """What the soak left in the database: its records, renditions, and the cluster's tasks."""
    from django.db.models import Count, Q
    from django_q.models import OrmQ, Task
    from wagtail.images import get_image_model

    from hub.media.renditions import all_rendition_filters
    from hub.site.models import Announcement

    BalaiImage = get_image_model()  # noqa: N806 - a model class
    BalaiRendition = BalaiImage.get_rendition_model()  # noqa: N806

    failed = Task.objects.filter(success=False)
    specs = [f.spec for f in all_rendition_filters()]
    images = BalaiImage.objects.filter(title__startswith="Foto uji")
    made = Count("renditions", filter=Q(renditions__filter_spec__in=specs), distinct=True)
    return {
        "announcements": Announcement.objects.filter(title__startswith="Uji beban").count(),
        "images": images.count(),
        "images_missing_renditions": images.annotate(made=made).filter(made__lt=len(specs)).count(),
        "renditions": BalaiRendition.objects.filter(image__title__startswith="Foto uji").count(),
        "tasks_ok": Task.objects.filter(success=True).count(),
        "tasks_failed": failed.count(),
        "task_failures": [str(t.result)[:200] for t in failed[:5]],
        "queued": OrmQ.objects.count(),
    }


# --------------------------------------------------------------------------------------------
# bench market

WORDS = [
    "Beras",
    "Kopi",
    "Pinang",
    "Madu",
    "Keripik",
    "Gula aren",
    "Cabai",
    "Jahe",
    "Kunyit",
    "Pisang",
    "Durian",
    "Kelapa",
    "Tikar pandan",
    "Anyaman rotan",
    "Ikan salai",
    "Karet",
]
KINDS = ["merah", "super", "kampung", "organik", "kering", "segar", "asli", "premium"]


def market_seed(products: int, photos: int) -> dict:
    """``products`` products of three BUMDes (the demo's and two more), saved one by one through
    the model, with ``photos`` photos drawn by Pillow; and the product the orders are placed on."""
    from decimal import Decimal

    from django.db import transaction

    from marketplace.demo import PRODUCTS as DEMO_ROWS
    from marketplace.demo import photo_image
    from marketplace.models import Bumdes, Product, ProductCategory

    started = time.perf_counter()
    rng = random.Random(2026)
    categories = list(ProductCategory.objects.all())
    demo = Bumdes.objects.get(slug="berantai-sejahtera")
    with transaction.atomic():
        shops = [demo]
        for slug, name in [
            ("tani-makmur", "BUMDes Tani Makmur"),
            ("sungai-jernih", "BUMDes Sungai Jernih"),
        ]:
            shop = Bumdes(
                name=name, slug=slug, whatsapp="081260002022", opening_hours="08.00-16.00"
            )
            shop.full_clean()
            shop.save()
            shops.append(shop)
        drawn_photos = [
            photo_image(f"bench-{i}", f"bench {i}", DEMO_ROWS[i % len(DEMO_ROWS)][10], 1000 + i)
            for i in range(photos)
        ]
        drawn = time.perf_counter() - started
    # in transactions of 200 products: one long write transaction would hold SQLite's lock past
    # the busy timeout of the cluster's scheduler, which is not what this measures
    for chunk in range(0, products, 200):
        with transaction.atomic():
            for i in range(chunk, min(products, chunk + 200)):
                fractional = i % 3 == 0
                kind = KINDS[(i // len(WORDS)) % len(KINDS)]
                Product(
                    bumdes=shops[i % len(shops)],
                    category=categories[i % len(categories)],
                    name=f"{WORDS[i % len(WORDS)]} {kind} {i:04d}",
                    slug=f"produk-{i:04d}",
                    short_description="Hasil warga desa, dipanen dan dikemas di desa.",
                    price=rng.randrange(2000, 150000, 500),
                    unit="kg" if fractional else "buah",
                    fractional=fractional,
                    stock=Decimal(rng.randrange(0, 200)),
                    min_order=Decimal("1"),
                    photo_1=drawn_photos[i % photos],
                ).save()
    with transaction.atomic():
        orders = Product(
            bumdes=demo, category=categories[0], name="Bibit kopi (bench pesanan)",
            slug=BENCH_ORDER_PRODUCT, price=5000, unit="batang", stock=Decimal("1000000"),
        )  # fmt: skip
        orders.save()
    return {
        "seconds": time.perf_counter() - started,
        "photo_seconds": drawn,
        "products": Product.objects.count(),
        "order_product": str(orders.pk),
    }


def market_state() -> dict:
    from hub.sync.models import JournalEntry
    from marketplace.models import Order, Product

    return {
        "products": Product.objects.count(),
        "orders": Order.objects.count(),
        "journal": JournalEntry.objects.count(),
        "order_stock": str(Product.objects.get(slug=BENCH_ORDER_PRODUCT).stock),
    }


# --------------------------------------------------------------------------------------------
# bench learn


def bench_course(*, title: str, slug: str, lesson_title: str = "Video", region: str = ""):
    """(course, lesson) of a bench: a CC0 farming course whose one lesson starts with a text
    block (the video and the rest are the caller's)."""
    from elearning.courses.models import Block, Course, Lesson

    course = Course.objects.create(
        title=title, slug=slug, category="pertanian", licence="CC0", source="bench", region=region
    )
    lesson = Lesson.objects.create(course=course, title=lesson_title, sort_order=1)
    Block.objects.create(lesson=lesson, kind="teks", sort_order=1, text="Tonton videonya. " * 20)
    return course, lesson


def learn_seed(source: str, streams: int) -> dict:
    """A village course whose lesson has a text block, the video and a quiz, and ``streams``
    course videos: hard links to ``source`` under the hub's media; the pages and video URLs."""
    from django.conf import settings

    from elearning.courses.models import Block, MediaAsset, Question

    course, lesson = bench_course(title="Bench: video di ponsel", slug="bench-video")
    quiz = Block.objects.create(lesson=lesson, kind="kuis", sort_order=9)
    Question.objects.create(
        block=quiz, prompt="Benar?", kind="benar-salah", answer=0, explanation="Ya."
    )
    videos = []
    for i in range(streams):
        name = f"belajar/bench{i:02d}/video.mp4"
        target = Path(settings.MEDIA_ROOT) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.link(source, target)
        asset = MediaAsset.objects.create(
            course=course,
            kind="video",
            title=f"Video {i}",
            file=name,
            size=target.stat().st_size,
            status="siap",
        )
        if i == 0:
            Block.objects.create(lesson=lesson, kind="video", media=asset, sort_order=2)
        videos.append("/media/" + name)
    return {
        "course": f"/belajar/kursus/{course.pk}/",
        "lesson": f"/belajar/pelajaran/{lesson.pk}/",
        "videos": videos,
    }


STEPS = {
    f.__name__: f
    for f in (render_pages, soak_users_create, soak_state, market_seed, market_state, learn_seed)
}


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    name, kwargs = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    print(json.dumps(STEPS[name](**kwargs), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
