"""Projects, template folders and email templates of an account (the current API numbers them).

One library per account, made with it (``account.templates``)::

    library = account.templates
    project = library.project(None)                      # the team's default project
    template = library.create("Welcome", html="<p>Hi {{name}}</p>")
    template.slug, template.active_version, [t.key for t in template.merge_tags]
    # ('welcome', 1, ['name'])

Snippets for ``{{ render_snippet("id") }}`` have no API: a test registers them with
``library.add_snippet("footer", html="<p>Bye {{name}}</p>", text="Bye {{name}}")``.

Every account starts with one project ("Default Project") holding two folders: "General"
(transactional) and "Campaigns" (campaign). Ids are small integers counted per account, the
team id is drawn from the account's seeded entropy.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameter, NotFound, TemplateNotFound, ValidationFailed
from .templating import MergeTag, Snippet, merge_tags

if TYPE_CHECKING:
    from .account import Account
    from .audit import Actor

__all__ = ["PURPOSES", "Folder", "Project", "Template", "TemplateLibrary", "TemplateVersion", "slugify"]

PURPOSES = ("transactional", "campaign")


def slugify(name: str) -> str:
    """``"Welcome Email!"`` → ``"welcome-email"`` (``"template"`` when nothing is left).

    >>> slugify("  Order #12 — Shipped ")
    'order-12-shipped'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:200].rstrip("-") or "template"


@dataclass(eq=False)
class Project:
    id: int
    name: str
    team_id: int
    created_at: datetime
    updated_at: datetime
    emoji: str | None = None


@dataclass(eq=False)
class Folder:
    id: int
    name: str
    project_id: int
    purpose: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TemplateVersion:
    """One published content of a template; ``merge_tags`` are parsed from it."""

    number: int
    html: str | None
    json: str | None
    merge_tags: tuple[MergeTag, ...]
    created_at: datetime


@dataclass(eq=False)
class Template:
    id: int
    name: str
    slug: str
    project_id: int
    folder_id: int
    purpose: str
    created_at: datetime
    updated_at: datetime
    subject: str | None = None
    versions: list[TemplateVersion] = field(default_factory=list)
    active_version: int | None = None

    @property
    def active(self) -> TemplateVersion | None:
        return self.version(self.active_version) if self.active_version is not None else None

    def version(self, number: int) -> TemplateVersion | None:
        return next((v for v in self.versions if v.number == number), None)

    @property
    def html(self) -> str | None:
        active = self.active
        return active.html if active else None

    @property
    def json(self) -> str | None:
        active = self.active
        return active.json if active else None

    @property
    def merge_tags(self) -> list[MergeTag]:
        active = self.active
        return list(active.merge_tags) if active else []


class TemplateLibrary:
    """Projects, folders and templates of one account, oldest first."""

    def __init__(self, account: Account) -> None:
        self._account = account
        self._lock = threading.RLock()
        self._counters: dict[str, int] = {}
        self.team_id: int = account.entropy.stream("team_id").randint(1000, 99999)
        self.projects: dict[int, Project] = {}
        self.folders: dict[int, Folder] = {}
        self.templates: dict[int, Template] = {}
        self.snippets: dict[str, Snippet] = {}
        default = self.add_project("Default Project")
        self.default_project_id: int | None = default.id
        self.add_folder(default.id, "General", "transactional")
        self.add_folder(default.id, "Campaigns", "campaign")

    def _next(self, kind: str) -> int:
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    # -- projects and folders ----------------------------------------------------------------
    def add_project(self, name: str, emoji: str | None = None) -> Project:
        now = self._account.clock.now()
        with self._lock:
            project = Project(self._next("project"), name, self.team_id, now, now, emoji)
            self.projects[project.id] = project
        return project

    def add_folder(self, project_id: int, name: str, purpose: str = "transactional") -> Folder:
        if purpose not in PURPOSES:
            raise InvalidParameter(f"The purpose must be one of: {', '.join(PURPOSES)}.", param="purpose")
        self.project(project_id)
        now = self._account.clock.now()
        with self._lock:
            folder = Folder(self._next("folder"), name, project_id, purpose, now, now)
            self.folders[folder.id] = folder
        return folder

    def project(self, project_id: int | None) -> Project:
        """A project by id, or the team's default project (404 ``template_not_found``)."""
        if project_id is None:
            if self.default_project_id is None or self.default_project_id not in self.projects:
                raise TemplateNotFound("No default project is configured for this team.")
            return self.projects[self.default_project_id]
        project = self.projects.get(project_id)
        if project is None:
            raise TemplateNotFound(f"Project with ID '{project_id}' was not found or you don't have access to it.",
                                   param="project_id")
        return project

    def folders_of(self, project: Project, purpose: str | None = None) -> list[Folder]:
        return [f for f in self.folders.values()
                if f.project_id == project.id and (purpose is None or f.purpose == purpose)]

    def folder(self, project: Project, folder_id: int) -> Folder:
        folder = self.folders.get(folder_id)
        if folder is None or folder.project_id != project.id:
            raise NotFound(f"Folder with ID '{folder_id}' was not found in the specified project.",
                           param="folder_id")
        return folder

    def templates_count(self, folder: Folder) -> int:
        return sum(1 for t in self.templates.values() if t.folder_id == folder.id)

    # -- snippets ----------------------------------------------------------------------------
    def add_snippet(self, snippet_id: str, *, html: str | None = None, text: str | None = None,
                    amp_html: str | None = None) -> Snippet:
        """Register (or replace) the snippet ``{{ render_snippet("<snippet_id>") }}`` renders."""
        if not isinstance(snippet_id, str) or not snippet_id:
            raise ValueError("a snippet id is a non-empty string")
        snippet = Snippet(snippet_id, html=html, text=text, amp_html=amp_html)
        with self._lock:
            self.snippets[snippet_id] = snippet
        return snippet

    # -- templates ---------------------------------------------------------------------------
    def templates_of(self, project: Project, folder: Folder | None = None,
                     purpose: str | None = None) -> list[Template]:
        return [t for t in self.templates.values()
                if t.project_id == project.id and (folder is None or t.folder_id == folder.id)
                and (purpose is None or t.purpose == purpose)]

    def get(self, project: Project, slug: str) -> Template:
        for template in self.templates.values():
            if template.project_id == project.id and template.slug == slug:
                return template
        raise TemplateNotFound(f"Template with slug '{slug[:255]}' was not found.", param="slug")

    def sendable(self, project_id: int | None, slug: str,
                 version_number: int | None = None) -> tuple[Template, TemplateVersion]:
        """The template and version a single email may be sent from (its active version by default).

        404 for an unknown project, slug or version; 422 for a campaign template or one with no HTML.
        """
        template = self.get(self.project(project_id), slug)
        version = template.active if version_number is None else template.version(version_number)
        if version is None:
            raise TemplateNotFound(f"Template version {version_number} was not found.", param="template_version")
        if template.purpose != "transactional":
            raise ValidationFailed({"template_slug": ["Only transactional templates can be sent as single emails."]})
        if version.html is None:
            raise ValidationFailed({"template_slug": ["The template has no rendered HTML content to send."]})
        return template, version

    def create(self, name: str, *, html: str | None = None, json_content: str | None = None,
               project_id: int | None = None, folder_id: int | None = None, purpose: str | None = None,
               subject: str | None = None, actor: Actor | None = None) -> Template:
        """Create a template and publish version 1 (404 for an unknown project or folder); with an
        ``actor``, audited as ``template.created``."""
        project = self.project(project_id)
        if folder_id is not None:
            folder = self.folder(project, folder_id)
            purpose = purpose or folder.purpose
            if folder.purpose != purpose:
                raise InvalidParameter(f"The folder belongs to the {folder.purpose} module, not {purpose}.",
                                       param="folder_id")
        else:
            purpose = purpose or "transactional"
            candidates = self.folders_of(project, purpose) or self.folders_of(project)
            if not candidates:
                raise NotFound(f"Project with ID '{project.id}' has no folders. Please create a folder first.",
                               param="folder_id")
            folder = candidates[0]
        now = self._account.clock.now()
        with self._lock:
            taken = {t.slug for t in self.templates.values() if t.project_id == project.id}
            base = slugify(name)
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            template = Template(self._next("template"), name, slug, project.id, folder.id, purpose, now, now,
                                subject=subject)
            self._publish(template, html, json_content, now)
            self.templates[template.id] = template
        self._audit(actor, "template.created", template, project_id=template.project_id)
        return template

    def update(self, template: Template, *, name: str | None = None, html: str | None = None,
               json_content: str | None = None, subject: str | None = None,
               actor: Actor | None = None) -> Template:
        """Rename and/or publish new content as the next active version (audited with an ``actor``)."""
        now = self._account.clock.now()
        with self._lock:
            if name is not None:
                template.name = name
            if subject is not None:
                template.subject = subject
            if html is not None or json_content is not None:
                self._publish(template, html, json_content, now)
            template.updated_at = now
        self._audit(actor, "template.updated", template, new_version=html is not None or json_content is not None)
        return template

    def delete(self, template: Template, actor: Actor | None = None) -> None:
        with self._lock:
            self.templates.pop(template.id, None)
        self._audit(actor, "template.deleted", template)

    def _audit(self, actor: Actor | None, action: str, template: Template, **details: Any) -> None:
        if actor is not None:
            self._account.record(action, actor, "template", str(template.id), {"slug": template.slug, **details})

    @staticmethod
    def _publish(template: Template, html: str | None, json_content: str | None, now: datetime) -> None:
        if json_content is not None:
            try:
                json.loads(json_content)
            except ValueError:
                raise InvalidParameter("The provided JSON is not valid.", param="json") from None
        source = html if html is not None else json_content or ""
        number = max((v.number for v in template.versions), default=0) + 1
        template.versions.append(TemplateVersion(number, html, json_content, tuple(merge_tags(source)), now))
        template.active_version = number
