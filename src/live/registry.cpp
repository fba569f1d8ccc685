// registry.cpp — linking a Registry to its templates: see registry.hpp.
#include "live/registry.hpp"

#include "live/page.hpp"

namespace cohort::live {

namespace {

void resolve_views(Registry& reg, const std::string& templates_dir, std::vector<std::string>& errors) {
  for (std::size_t i = 0; i < reg.views.size(); ++i) {
    auto& v = reg.views[i];
    v.tmpl = reg.templates.find(v.template_name);
    if (!v.tmpl) errors.push_back("live view " + v.path + ": no template '" + v.template_name + "' in " + templates_dir);
    if (auto e = reg.router.add(v.path, i)) errors.push_back(*e);
  }
  // A view whose path pattern takes /assets/... ("/*path", "/:a/:b") would answer the page's own
  // scripts with HTML, and no page would ever go live: refuse it now.
  for (std::string_view asset : {"/assets/cohort_live.js", "/assets/vendor/phoenix.min.js"})
    if (auto m = reg.router.match(asset))
      errors.push_back("live view " + reg.views[m->route_index].path + " would hide " + std::string(asset) +
                       ": a view's path must leave /assets/ to Cohort's files");
}

void resolve_components(Registry& reg, const std::string& templates_dir, std::vector<std::string>& errors) {
  // A component tag naming no registered type would only fail at its first render: refuse it now.
  for (const auto& use : reg.templates.component_uses())
    if (use.child_view && !reg.child_views.contains(use.type))
      errors.push_back(TemplateError{use.file, use.line, "unknown nested view '" + use.type +
                                                             "' (no Live::child_view(\"" + use.type + "\", ...) registered)"}
                           .text());
    else if (!use.child_view && !reg.components.contains(use.type))
      errors.push_back(TemplateError{use.file, use.line, "unknown component type '" + use.type +
                                                             "' (no Live::component(\"" + use.type + "\", ...) registered)"}
                           .text());
  for (auto& [name, v] : reg.child_views) {
    v.tmpl = reg.templates.find(v.template_name);
    if (!v.tmpl) errors.push_back("nested view " + name + ": no template '" + v.template_name + "' in " + templates_dir);
  }
  for (auto& [type, c] : reg.components) {
    c.tmpl = reg.templates.find(c.template_name);
    if (!c.tmpl) errors.push_back("component " + type + ": no template '" + c.template_name + "' in " + templates_dir);
    else if (!c.tmpl->single_root_tag())
      errors.push_back("component " + type + ": template '" + c.template_name + "' must render exactly one root element");
  }
}

}  // namespace

std::string link_registry(Registry& reg, const std::string& templates_dir) {
  std::vector<std::string> errors;
  for (const auto& e : templates_dir.empty() ? reg.templates.link() : reg.templates.load_dir(templates_dir))
    errors.push_back(e.text());
  resolve_views(reg, templates_dir, errors);
  resolve_components(reg, templates_dir, errors);
  if (const std::string& name = reg.layout.template_name; !name.empty()) {
    reg.layout_template = reg.templates.find(name);
    if (!reg.layout_template) errors.push_back("page layout: no template '" + name + "' in " + templates_dir);
    else if (auto e = check_layout(*reg.layout_template)) errors.push_back(*e);
  }
  std::string text;
  for (const auto& e : errors) text += (text.empty() ? "" : "\n") + e;
  return text;
}

}  // namespace cohort::live
