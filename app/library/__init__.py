"""The face library beyond the enrolled gallery: unknown faces remembered as sightings and
grouped (grouping.py), the groups an operator names, dismisses or merges (groups.py),
"not this person" (corrections.py), faces learned from the cameras (learning.py) and the
map of the enrolled faces (facemap.py). Built on the use-cases of app/faces, never the
other way round: every face a group gives a person passes the checks at the door."""
