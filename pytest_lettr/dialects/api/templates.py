"""``/api/templates`` (CRUD, merge tags, HTML), ``/api/folders`` and ``/api/projects``.

Templates live in a project (the team's default one unless ``project_id`` says otherwise) and
a folder; creating or updating content publishes a new active version whose merge tags are
parsed from its ``{{tags}}``.
"""

from __future__ import annotations

from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...state.templates import PURPOSES, Folder, Project, Template, TemplateLibrary
from ...state.templating import MergeTag
from ..base import Call, Reply, Route
from .validation import Fields, Query, page_of
from .wire import ok


def merge_tag_view(tag: MergeTag) -> dict[str, Any]:
    view: dict[str, Any] = {"key": tag.key, "name": tag.name, "required": tag.required}
    if tag.children is not None:
        view["children"] = [{"key": child.key, "type": child.type} for child in tag.children]
    return view


def template_view(template: Template) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "slug": template.slug,
        "project_id": template.project_id,
        "folder_id": template.folder_id,
        "purpose": template.purpose,
        "preparation_status": "ready",
        "created_at": ts(template.created_at),
        "updated_at": ts(template.updated_at),
    }


def detail_view(template: Template) -> dict[str, Any]:
    view = template_view(template)
    view.update(active_version=template.active_version, versions_count=len(template.versions),
                html=template.html, json=template.json, subject=template.subject)
    return view


def written_view(template: Template) -> dict[str, Any]:
    view = template_view(template)
    view.update(active_version=template.active_version,
                merge_tags=[merge_tag_view(t) for t in template.merge_tags])
    return view


def _project(call: Call, query: Query | None = None,
             body_value: int | None = None) -> tuple[TemplateLibrary, Project]:
    library = call.account.templates
    project_id = body_value
    if query is not None:
        project_id = query.integer("project_id", minimum=1)
        query.check()
    return library, library.project(project_id)


def _template(call: Call, query: Query | None = None,
              project_id: int | None = None) -> tuple[TemplateLibrary, Template]:
    library, project = _project(call, query, project_id)
    return library, library.get(project, call.args["slug"])


def _content(fields: Fields) -> tuple[str | None, str | None]:
    html = fields.string("html")
    json_content = fields.string("json")
    if fields.has("html") and fields.has("json"):
        fields.add("json", "The json and html fields are mutually exclusive. Provide only one.")
    return html, json_content


def list_templates(call: Call) -> Reply:
    query = Query(call.query)
    page, per_page = query.page()
    folder_id = query.integer("folder_id", minimum=1)
    purpose = query.choice("purpose", PURPOSES)
    library, project = _project(call, query)
    folder: Folder | None = library.folder(project, folder_id) if folder_id is not None else None
    items, pagination = page_of(library.templates_of(project, folder, purpose), page, per_page)
    return ok("Templates retrieved successfully.",
              {"templates": [template_view(t) for t in items], "pagination": pagination})


def create_template(call: Call) -> Reply:
    fields = Fields(call.json())
    name = fields.string("name", required=True, max_length=255)
    html, json_content = _content(fields)
    if not fields.has("html") and not fields.has("json") and not fields.errors.keys() & {"html", "json"}:
        fields.add("html", "Either html or json content is required.")
    project_id = fields.integer("project_id", minimum=1)
    folder_id = fields.integer("folder_id", minimum=1)
    purpose = fields.choice("purpose", PURPOSES)
    subject = fields.string("subject", max_length=998)
    fields.check()
    assert name is not None
    library = call.account.templates
    template = library.create(name, html=html, json_content=json_content, project_id=project_id,
                              folder_id=folder_id, purpose=purpose, subject=subject, actor=call.actor)
    return ok("Template created successfully.", written_view(template), status=201)


def get_template(call: Call) -> Reply:
    _, template = _template(call, Query(call.query))
    return ok("Template retrieved successfully.", detail_view(template))


def update_template(call: Call) -> Reply:
    fields = Fields(call.json())
    name = fields.string("name", max_length=255, allow_empty=False)
    html, json_content = _content(fields)
    project_id = fields.integer("project_id", minimum=1)
    subject = fields.string("subject", max_length=998)
    fields.check()
    library, template = _template(call, project_id=project_id)
    library.update(template, name=name, html=html, json_content=json_content, subject=subject, actor=call.actor)
    return ok("Template updated successfully.", {**written_view(template), "updated_at": ts(template.updated_at)})


def delete_template(call: Call) -> Reply:
    library, template = _template(call, Query(call.query))
    library.delete(template, call.actor)
    return Reply(200, {"message": "Template deleted successfully."})


def template_merge_tags(call: Call) -> Reply:
    query = Query(call.query)
    number = query.integer("version", minimum=1)
    _, template = _template(call, query)
    version = template.active if number is None else template.version(number)
    if version is None:
        raise errors.TemplateNotFound(f"Template version {number} was not found.",
                              param="version")
    return ok("Merge tags retrieved successfully.", {
        "project_id": template.project_id, "template_slug": template.slug, "version": version.number,
        "merge_tags": [merge_tag_view(t) for t in version.merge_tags]})


def template_html(call: Call) -> Reply:
    """``{"success": true, "data": {...}}`` — this endpoint's own envelope (and 404 shape)."""
    query = Query(call.query)
    project_id = query.integer("project_id", minimum=1)
    slug = call.query.get("slug") or None
    if project_id is None and not query.fields.failed("project_id"):
        query.fields.add("project_id", "The project id field is required.")
    if slug is None:
        query.fields.add("slug", "The slug field is required.")
    query.check()
    assert slug is not None
    library = call.account.templates
    try:
        template = library.get(library.project(project_id), slug)
    except errors.NotFound:
        return Reply(404, {"success": False, "message": "Template not found."})
    return Reply(200, {"success": True, "message": "Template HTML retrieved successfully.", "data": {
        "html": template.html or "", "subject": template.subject,
        "merge_tags": [{"key": t.key, "name": t.name, "required": t.required} for t in template.merge_tags]}})


def list_folders(call: Call) -> Reply:
    query = Query(call.query)
    page, per_page = query.page()
    purpose = query.choice("purpose", PURPOSES)
    library, project = _project(call, query)
    items, pagination = page_of(library.folders_of(project, purpose), page, per_page)
    return ok("Folders retrieved successfully.", {"folders": [{
        "id": f.id, "name": f.name, "project_id": f.project_id, "purpose": f.purpose,
        "templates_count": library.templates_count(f), "created_at": ts(f.created_at),
        "updated_at": ts(f.updated_at)} for f in items], "pagination": pagination})


def list_projects(call: Call) -> Reply:
    query = Query(call.query)
    page, per_page = query.page()
    query.check()
    library = call.account.templates
    items, pagination = page_of(list(library.projects.values()), page, per_page)
    return ok("Projects retrieved successfully.", {"projects": [{
        "id": p.id, "name": p.name, "emoji": p.emoji, "team_id": p.team_id, "created_at": ts(p.created_at),
        "updated_at": ts(p.updated_at)} for p in items], "pagination": pagination})


ROUTES = [
    Route("GET", "/templates", list_templates, "templates:read", scope="templates:read"),
    Route("POST", "/templates", create_template, "templates:create", scope="templates:write", write=True),
    Route("GET", "/templates/html", template_html, "templates:read", scope="templates:read"),
    Route("GET", "/templates/<slug>", get_template, "templates:read", scope="templates:read"),
    Route("PUT", "/templates/<slug>", update_template, "templates:update", scope="templates:write", write=True),
    Route("DELETE", "/templates/<slug>", delete_template, "templates:delete", scope="templates:write",
          write=True),
    Route("GET", "/templates/<slug>/merge-tags", template_merge_tags, "templates:read", scope="templates:read"),
    Route("GET", "/folders", list_folders, "templates:read", scope="templates:read"),
    Route("GET", "/projects", list_projects, "projects:read", scope="projects:read"),
]
