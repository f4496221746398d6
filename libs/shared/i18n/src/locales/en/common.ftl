# Texts every service shares.
language-name = English
