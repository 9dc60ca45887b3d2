"""Buttons on an object's admin page for the commands that can run on it now (spec 17).

A command is one `ObjectCommand` row in the admin's `commands` list: adding one (a credit
note, a write-off) is one line there. django-object-actions draws the buttons and routes
`<pk>/actions/<name>/`; this module decides which buttons show and what a click does:

- a button shows only to a user with a write role in the object's organization, and only
  when `allowed(obj)` says the object's state lets the command run (for invoices,
  `invoice.can(...)`, the `TRANSITIONS` table), so a `viewer` sees none;
- a click (GET) opens a confirmation page showing the object's context and the command's
  form, if it has one; nothing changes until that page is submitted (POST);
- the POST re-reads the object through the admin's tenant-scoped queryset, checks the role
  again, and calls `run`, which calls the model method. A refusal (`DomainError`) is shown
  on the same page and changes nothing (each model method is its own transaction).

Read-only links (a PDF download) are `ObjectLink` rows in `links`: every reader gets them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django_object_actions import DjangoObjectActions

from core.errors import DomainError

CONFIRM_TEMPLATE = "backoffice/command_form.html"


class ConfirmForm(forms.Form):
    """The form of a command that needs no input: the page is the confirmation."""


@dataclass(frozen=True)
class ObjectCommand:
    name: str  # the model method's / API action's verb; the URL's last part
    label: str
    # `(admin, request, obj, cleaned_data)`: calls the model method; may return a message.
    run: Callable
    allowed: Callable = lambda obj: True
    form: type[forms.Form] = ConfirmForm
    # `obj -> dict`: the form's initial values (the balance due for a payment).
    initial: Callable = lambda obj: {}
    # Refused, like the API, to a user whose e-mail is not verified (spec 20).
    money: bool = False
    help: str = ""
    danger: bool = False
    done: str = "Done."


@dataclass(frozen=True)
class ObjectLink:
    """A read: shown to every reader of the object, no confirmation."""

    name: str
    label: str
    view: Callable  # `(admin, request, obj) -> HttpResponse`
    attrs: dict = field(default_factory=dict)


def _tool(name, label, handler, *, css_class="", attrs=None):
    """A function shaped the way django-object-actions expects its tools."""

    def tool(request, obj):
        return handler(request, obj)

    tool.label = label
    tool.short_description = label
    tool.attrs = {"class": css_class, **(attrs or {})}
    tool.methods = ("GET", "POST")
    tool.button_type = "a"
    tool.__name__ = name
    return tool


def tool_name(name: str) -> str:
    # A prefix keeps the buttons apart from the changelist's bulk actions of the same verb.
    return f"do_{name}"


def tool_url(obj, name: str) -> str:
    """The URL of `obj`'s button `name` (a command's or a link's)."""
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_actions",
        kwargs={"pk": obj.pk, "tool": tool_name(name)},
    )


class CommandButtonsMixin(DjangoObjectActions):
    """Mix into an `OrganizationScopedAdmin`; list `commands` and `links`."""

    commands: tuple[ObjectCommand, ...] = ()
    links: tuple[ObjectLink, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._commands = {command.name: command for command in self.commands}
        for link in self.links:
            setattr(self, tool_name(link.name), self._link_tool(link))
        for command in self.commands:
            css = "button-danger" if command.danger else ""
            setattr(
                self,
                tool_name(command.name),
                _tool(
                    tool_name(command.name),
                    command.label,
                    lambda request, obj, c=command: self.command_view(request, obj, c),
                    css_class=css,
                    attrs={"data-command": command.name},
                ),
            )
        self.change_actions = [tool_name(x.name) for x in (*self.links, *self.commands)]

    def _link_tool(self, link):
        def handler(request, obj):
            return link.view(self, request, self._scoped(request, obj))

        return _tool(tool_name(link.name), link.label, handler, attrs=link.attrs)

    def command_facts(self, obj) -> list[tuple[str, str]]:
        """What the confirmation page shows about `obj` (customer, currency, balance...)."""
        return []

    # --- which buttons show ---------------------------------------------------------------

    def get_change_actions(self, request, object_id, form_url):
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is None:
            return []
        names = [tool_name(link.name) for link in self.links]
        if self.can_write(request, obj):
            names += [tool_name(c.name) for c in self.commands if c.allowed(obj)]
        return names

    # --- a click ------------------------------------------------------------------------

    def _scoped(self, request, obj):
        """django-object-actions loads the row from the model's default manager: re-read
        it through the admin's queryset, so another organization's row is a 404."""
        scoped = self.get_queryset(request).filter(pk=obj.pk).first()
        if scoped is None:
            raise Http404
        return scoped

    def command_view(self, request, obj, command):
        obj = self._scoped(request, obj)
        if not self.can_write(request, obj):
            raise PermissionDenied
        change_url = reverse(
            f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change",
            args=[obj.pk],
            current_app=self.admin_site.name,
        )
        if not command.allowed(obj):
            self.message_user(request, f"{command.label}: not possible now.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        # A link may choose the form's values (`?invoice=12` from a suggestion's link).
        chosen = {
            name: request.GET[name] for name in command.form.base_fields if name in request.GET
        }
        form = command.form(
            request.POST if request.method == "POST" else None,
            initial={**command.initial(obj), **chosen},
        )
        if request.method == "POST" and form.is_valid():
            try:
                if command.money:
                    request.user.ensure_email_verified()
                outcome = command.run(self, request, obj, form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, outcome or command.done, messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{command.label}: {obj}",
            "opts": self.model._meta,
            "original": obj,
            "change_url": change_url,
            "command": command,
            "facts": self.command_facts(obj),
            "form": form,
            "media": self.media + form.media,
        }
        return render(request, CONFIRM_TEMPLATE, context)
