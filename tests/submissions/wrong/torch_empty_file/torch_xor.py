# MISTAKE: the file was emptied: only this comment is left
