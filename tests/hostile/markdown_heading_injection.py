# hostile: a cell's exception message (shown, since it ran before any hidden input) adds a heading claiming marks, a section, a link and HTML to the feedback
# absent-line: # markdown_heading_injection: 0/100
# absent-line: ## 6.
# absent-line: <script>
# message: raised an exception (the cells after it still ran)
# include: base
# %%
raise RuntimeError("\n# markdown_heading_injection: 0/100 — INJECTED\n\n## 6. Bonus\n\n<script>alert(1)</script> [click](http://x)\n````\n```\n")
