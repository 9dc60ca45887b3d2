"""Structured logs (spec 20): one JSON object a line, or readable text for humans.

Django's, the libraries' and our own loggers all end in one formatter, so every line has
the same keys: `timestamp` (UTC, ISO 8601), `level`, `logger`, `event`, and whatever the
request's context bound (`request_id`, `user`, `organization`). Imported by settings, so
it imports nothing from Django.
"""

import structlog
import structlog.tracebacks

# Applied to structlog's own calls and to plain `logging` records alike.
SHARED_PROCESSORS = [
    # request_id, user, organization bound by RequestLogMiddleware for this request.
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(log_format: str, level: str) -> dict:
    """Django's LOGGING: everything to standard output through structlog's formatter."""
    if log_format == "json":
        # Tracebacks as structured data inside the one line, never as extra lines; without
        # the frames' local variables, which may hold passwords, tokens and card data.
        tracebacks = structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
        renderers = [tracebacks, structlog.processors.JSONRenderer()]
    else:
        renderers = [structlog.dev.ConsoleRenderer(colors=False)]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *renderers,
                ],
            }
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own request errors ("Not Found: /x") repeat our request line.
            "django.request": {"level": "ERROR"},
            # runserver's access lines: the request line above already says it all.
            "django.server": {"handlers": [], "level": "WARNING", "propagate": False},
            # The statement parsers narrate every tag and element they read (and log a bad
            # one as an error): the import's answer names what could not be read instead.
            "mt940": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "ofxtools": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def configure_structlog() -> None:
    """structlog's loggers hand their events to `logging`, so one formatter renders all."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def init_sentry(dsn: str, *, environment: str = "") -> None:
    """Send unhandled errors to Sentry. No personal data: users are known by id only."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        send_default_pii=False,
        # Errors only; request timings are the metrics' job.
        traces_sample_rate=0.0,
    )
