"""identity qualifications: what an institution is approved to do in maternal and child
health (midwifery, birth certificates, risk grading, child eye care, school health)."""
