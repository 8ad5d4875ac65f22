"""Configuration fixes proposed as pull requests: where a log says a configuration file is
broken (``location``), a repair of that file (``repairs``, or a model's proposal), its
validation (``checks``), and the edits CodeHealer refuses to propose (``guard``). Pure: the
remediator (app/domain/remediators/open_fix_pull_request.py) reads and writes through ports."""
