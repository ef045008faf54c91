"""One mirror across a person's computers (issue 16): each computer writes its own file into a
folder the person's sync tool (Syncthing first) keeps in step, and reads the others'.

format (the device file, as bytes and back), crypto (sealing it with a passphrase), folder
(reading the shared folder, keeping the last good copy of each file, writing this device's),
merge (the totals of all devices, time that overlaps across them counted once). No module here
opens a network connection: the sync tool carries the files.
"""
