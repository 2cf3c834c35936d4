"""Progress per device, in a signed cookie: nothing personal, no account, nothing stored on the
hub. What a phone has finished and its best quiz scores live in the phone's own cookie, signed
so it cannot be forged into a certificate; a course withdrawn upstream leaves entries behind
that are simply no longer shown.

Ids are the first 16 hex digits of the records' UUIDs (unique enough among one hub's lessons,
and half the bytes); the cookie keeps at most ``MAX_ENTRIES`` of each, the newest, so it stays
well under the 4 KB a browser keeps.
"""

from dataclasses import dataclass, field

from django.core import signing

COOKIE_NAME = "belajar"
SALT = "elearning.courses.progress"
MAX_AGE = 2 * 365 * 24 * 3600
MAX_ENTRIES = 120
PASS_PERCENT = 70


def short_id(pk) -> str:
    return pk.hex[:16]


@dataclass
class Progress:
    """Finished lessons (in the order finished) and the best score of each quiz in percent."""

    done: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    certificates: dict[str, str] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def from_request(cls, request) -> "Progress":
        """The device's progress; a missing, tampered or malformed cookie is a fresh start."""
        raw = request.COOKIES.get(COOKIE_NAME)
        if not raw:
            return cls()
        try:
            data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
        except signing.BadSignature:
            return cls()
        if not isinstance(data, dict):
            return cls()
        done = [d for d in data.get("d", []) if isinstance(d, str) and len(d) == 16]
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
        return cls(done=done[-MAX_ENTRIES:], scores=scores, certificates=certificates)

    def lesson_done(self, lesson) -> bool:
        return short_id(lesson.pk) in self.done

    def mark_done(self, lesson) -> None:
        key = short_id(lesson.pk)
        if key not in self.done:
            self.done = [*self.done, key][-MAX_ENTRIES:]
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
            while len(self.scores) > MAX_ENTRIES:
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
        """Set the cookie on ``response`` when anything changed."""
        if not self.changed:
            return
        value = signing.dumps(
            {"d": self.done, "s": self.scores, "c": self.certificates}, salt=SALT, compress=True
        )
        response.set_cookie(
            COOKIE_NAME, value, max_age=MAX_AGE, httponly=True, samesite="Lax", path="/belajar/"
        )
