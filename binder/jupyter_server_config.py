# Jupyter server settings for the course: `make lab` passes this file with --config, and binder/postBuild
# installs it for mybinder.org. It keeps a participant's clone clean (netpolkit.notebook_files): saving a notebook
# that git tracks, autosave included, writes its committed form, without outputs, so `git pull` always works.
c = get_config()  # noqa: F821 (provided by traitlets when the file is loaded)
c.FileContentsManager.pre_save_hook = "netpolkit.notebook_files.pre_save_hook"
