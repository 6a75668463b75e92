-- The index backends (Qdrant, the embedded index) key points by id within a physical collection,
-- without the tenant. Two tenants' points with the same id would overwrite each other there even
-- though PostgreSQL keeps both rows. Ids are therefore unique per collection across tenants:
-- derived ids include the tenant (src/memory/point-id.ts) and never collide; a caller-supplied id
-- already used by another tenant is refused (CONFLICT) instead of silently replacing that point.
CREATE UNIQUE INDEX memory_points_collection_id_key ON public.memory_points (collection, id);
