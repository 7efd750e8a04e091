// Long ids are shown short (templates' "id" helper); copying one copies the
// whole id, which is in its data-id attribute.
document.addEventListener("copy", function (ev) {
  var sel = document.getSelection();
  if (!sel || sel.rangeCount === 0) return;
  var node = sel.anchorNode && (sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement);
  var el = node && node.closest("code.id");
  if (!el || !el.contains(sel.focusNode)) return;
  ev.clipboardData.setData("text/plain", el.dataset.id);
  ev.preventDefault();
});
