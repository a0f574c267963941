"""caseserver's settings-file format ("name = value", '#' comments), read by the deploy checks."""


def read_settings(path):
    settings = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "=" in line:
                name, value = line.split("=", 1)
                settings[name.strip()] = value.strip()
    return settings
