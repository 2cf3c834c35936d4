"""Progress per device, in a signed cookie: nothing personal, no account, nothing stored on the
hub. What a phone has finished and its best quiz scores live in the phone's own cookie, signed
so it cannot be forged into a certificate; a course withdrawn upstream leaves entries behind
that are simply no longer shown.

A phone "logged in" to an optional learner profile (nickname + PIN, ``profiles.py``) keeps the
same data in the profile instead (``Learner.progress``, the same shape): ``from_request`` picks
the profile when the phone's login cookie names a current one, and ``save`` writes there. On
login the device's cookie is merged into the profile (``merge``: best score wins, a lesson done
on either is done) and cleared.

Ids are the first 16 hex digits of the records' UUIDs (unique enough among one hub's lessons,
and half the bytes); the cookie keeps at most ``MAX_ENTRIES`` of each, the newest, so it stays
well under the 4 KB a browser keeps.
"""

from dataclasses import dataclass, field

from django.core import signing
from django.db import transaction
from django.utils import timezone

from .models import Learner
from .profiles import login_cookie_read

COOKIE_NAME = "belajar"
SALT = "elearning.courses.progress"
MAX_AGE = 2 * 365 * 24 * 3600
MAX_ENTRIES = 120
# a profile lives in the database, not a 4 KB cookie: room for years of courses
PROFILE_MAX_ENTRIES = 2000
PASS_PERCENT = 70


def short_id(pk) -> str:
    return pk.hex[:16]


@dataclass
class Progress:
    """Finished lessons (in the order finished) and the best score of each quiz in percent;
    of this device (the cookie) or, with ``learner`` set, of a learner profile."""

    done: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    certificates: dict[str, str] = field(default_factory=dict)
    changed: bool = False
    learner: object = None
    limit: int = MAX_ENTRIES

    @classmethod
    def from_data(cls, data, *, limit: int = MAX_ENTRIES, learner=None) -> "Progress":
        """Progress from the stored shape (``{"d": [...], "s": {...}, "c": {...}}``), keeping
        only well-formed entries."""
        if not isinstance(data, dict):
            data = {}
        done = [d for d in data.get("d") or [] if isinstance(d, str) and len(d) == 16]
        scores = {
            k: v
            for k, v in (data.get("s") or {}).items()
            if isinstance(k, str) and len(k) == 16 and type(v) is int and 0 <= v <= 100
        }
        certificates = {
            k: v
            for k, v in (data.get("c") or {}).items()
            if isinstance(k, str) and isinstance(v, str) and len(v) == 10
        }
        return cls(
            done=done[-limit:],
            scores=scores,
            certificates=certificates,
            learner=learner,
            limit=limit,
        )

    def as_data(self) -> dict:
        return {"d": self.done, "s": self.scores, "c": self.certificates}

    @classmethod
    def from_device(cls, request) -> "Progress":
        """The device's own progress; a missing, tampered or malformed cookie is a fresh
        start."""
        raw = request.COOKIES.get(COOKIE_NAME)
        if not raw:
            return cls()
        try:
            data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
        except signing.BadSignature:
            return cls()
        return cls.from_data(data)

    @classmethod
    def for_learner(cls, learner) -> "Progress":
        return cls.from_data(learner.progress, limit=PROFILE_MAX_ENTRIES, learner=learner)

    @classmethod
    def from_request(cls, request) -> "Progress":
        """The progress the pages show and record: the profile this phone is logged in to,
        else the device's cookie."""
        learner = request_learner(request)
        if learner is not None:
            return cls.for_learner(learner)
        return cls.from_device(request)

    def merge(self, other: "Progress") -> None:
        """Take in ``other``'s progress: a lesson done on either is done, the best score of
        each quiz wins, a certificate already held is kept."""
        for key in other.done:
            if key not in self.done:
                self.done.append(key)
                self.changed = True
        self.done = self.done[-self.limit :]
        for key, score in other.scores.items():
            if score > self.scores.get(key, -1):
                self.scores[key] = score
                self.changed = True
        for key, token in other.certificates.items():
            if key not in self.certificates:
                self.certificates[key] = token
                self.changed = True

    def lesson_done(self, lesson) -> bool:
        return short_id(lesson.pk) in self.done

    def mark_done(self, lesson) -> None:
        key = short_id(lesson.pk)
        if key not in self.done:
            self.done = [*self.done, key][-self.limit :]
            self.changed = True

    def best_score(self, block) -> int | None:
        return self.scores.get(short_id(block.pk))

    def record_score(self, block, percent: int) -> int:
        """Keep ``percent`` when it beats the best so far; returns the best."""
        key = short_id(block.pk)
        best = self.scores.get(key)
        if best is None or percent > best:
            self.scores.pop(key, None)
            self.scores[key] = percent
            while len(self.scores) > self.limit:
                self.scores.pop(next(iter(self.scores)))
            self.changed = True
            return percent
        return best

    def certificate(self, course) -> str:
        """The code of the certificate this device got for ``course``, or ""."""
        return self.certificates.get(short_id(course.pk), "")

    def remember_certificate(self, course, token: str) -> None:
        self.certificates[short_id(course.pk)] = token
        self.changed = True

    def course_done(self, lessons) -> bool:
        lessons = list(lessons)
        return bool(lessons) and all(self.lesson_done(lesson) for lesson in lessons)

    def save(self, response) -> None:
        """Keep what changed: in the learner's profile, else in the cookie on ``response``."""
        if not self.changed:
            return
        if self.learner is not None:
            # merged into the row as it is now, so two tabs saving at once both count
            with transaction.atomic():
                row = Learner.objects.select_for_update().get(pk=self.learner.pk)
                stored = Progress.for_learner(row)
                stored.merge(self)
                row.progress, row.last_seen = stored.as_data(), timezone.now()
                row.save(update_fields=["progress", "last_seen"])
            self.learner.progress = row.progress
            self.changed = False
            return
        value = signing.dumps(self.as_data(), salt=SALT, compress=True)
        response.set_cookie(
            COOKIE_NAME, value, max_age=MAX_AGE, httponly=True, samesite="Lax", path="/belajar/"
        )


def device_progress_clear(response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/belajar/", samesite="Lax")


def request_learner(request):
    """The learner profile this phone is logged in to (cached on the request), or None."""
    if hasattr(request, "_belajar_learner"):
        return request._belajar_learner
    learner = None
    found = login_cookie_read(request)
    if found is not None:
        learner = (
            Learner.objects.select_related("group")
            .filter(pk=found[0], login_version=found[1])
            .first()
        )
    request._belajar_learner = learner
    return learner
